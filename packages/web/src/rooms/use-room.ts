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
  /** Who speaks now, loudest first, this page included (participants() carries the others' flag). */
  speakers: string[];
}

function read(session: RoomSession, speakers: string[]): RoomSnapshot {
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
    speakers,
  };
}

/**
 * What the room screens show, re-read from the session whenever it announces a change (or a chat
 * message, or who is speaking). The session is mutable; React gets a fresh copy each time.
 */
export function useRoom(session: RoomSession): RoomSnapshot {
  const [snapshot, setSnapshot] = useState(() => read(session, []));
  useEffect(() => {
    let speakers: string[] = [];
    const update = (): void => setSnapshot(read(session, speakers));
    const spoke = (ids: string[]): void => {
      speakers = ids;
      update();
    };
    update();
    session.on('change', update);
    session.on('chat', update);
    session.on('speakers', spoke);
    return () => {
      session.off('change', update);
      session.off('chat', update);
      session.off('speakers', spoke);
    };
  }, [session]);
  return snapshot;
}
