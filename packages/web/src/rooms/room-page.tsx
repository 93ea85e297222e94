import { useEffect, useState } from 'react';
import type { CharlaClient } from '@charla/sdk';
import { usernameOf } from '../format.ts';
import { useRoomI18n } from './room-i18n.ts';
import { RoomApp } from './room-app.tsx';
import { rememberHostToken, roomFromLocation, type RoomAddress } from './room-link.ts';
import { classifyJoinError, createRoomAsHost, joinRoom } from './sdk-bridge.ts';
import { StatusScreen } from './status-screen.tsx';

/**
 * The lazily loaded entry of the room screens. `/r/new` creates a room (for a signed-in person)
 * and becomes that room's address; `/r/<roomId>#<secret>` joins one.
 */
export function RoomPage({ client, booted, onExit }: { client: CharlaClient | undefined; booted: boolean; onExit: (() => void) | undefined }) {
  const { t } = useRoomI18n();
  const creating = location.pathname.replace(/\/$/, '') === '/r/new';
  const [room, setRoom] = useState<RoomAddress | undefined>(() => (creating ? undefined : (roomFromLocation(location) ?? { roomId: '', secret: '' })));
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    if (!creating || !booted || room) return;
    if (!client) {
      location.replace('/');
      return;
    }
    let gone = false;
    createRoomAsHost(client).then(
      (created) => {
        rememberHostToken(created.roomId, created.hostToken);
        // Reloading now rejoins this room instead of creating another.
        history.replaceState(null, '', `/r/${created.roomId}#${created.secret}`);
        if (!gone) setRoom(created);
      },
      (error: unknown) => !gone && setFailed(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      gone = true;
    };
  }, [creating, booted, client]);

  if (failed) {
    return (
      <StatusScreen title={t('errorTitle')} help={t('actionFailed', { message: failed })}>
        <button type="button" onClick={onExit ?? (() => location.assign('/'))}>
          {onExit ? t('backToChats') : t('goHome')}
        </button>
      </StatusScreen>
    );
  }
  if (!room) return creating ? <StatusScreen title={t('joining')} help={t('e2eeNote')} waiting /> : null;
  return <RoomApp room={room} join={joinRoom} classify={classifyJoinError} onExit={onExit} defaultName={client ? usernameOf(client.userId) : undefined} />;
}
