import { useEffect, useState } from 'react';
import type { RoomChatMessage, RoomMedia, RoomPeer, RoomSession, RoomState } from './room-api.ts';

export interface RoomSnapshot {
  state: RoomState;
  me: RoomSession['me'];
  locked: boolean;
  lobbyEnabled: boolean;
  participants: RoomPeer[];
  lobby: RoomPeer[];
  chat: RoomChatMessage[];
  localStream: MediaStream | undefined;
  media: RoomMedia;
}

function read(session: RoomSession): RoomSnapshot {
  return {
    state: session.state,
    me: { ...session.me },
    locked: session.locked,
    lobbyEnabled: session.lobbyEnabled,
    participants: session.participants().map((p) => ({ ...p, media: { ...p.media } })),
    lobby: session.lobby().map((p) => ({ ...p })),
    chat: session.chat().slice(),
    localStream: session.localStream,
    media: { ...session.media },
  };
}

/**
 * What the room screens show, re-read from the session whenever it announces a change (or a chat
 * message, or who is speaking). The session is mutable; React gets a fresh copy each time.
 */
export function useRoom(session: RoomSession): RoomSnapshot {
  const [snapshot, setSnapshot] = useState(() => read(session));
  useEffect(() => {
    const update = (): void => setSnapshot(read(session));
    update();
    session.on('change', update);
    session.on('chat', update);
    session.on('speakers', update);
    return () => {
      session.off('change', update);
      session.off('chat', update);
      session.off('speakers', update);
    };
  }, [session]);
  return snapshot;
}
