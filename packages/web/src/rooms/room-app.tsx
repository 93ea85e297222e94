import { useEffect, useState } from 'react';
import { InCall } from './in-call.tsx';
import { PreJoin } from './pre-join.tsx';
import type { RoomSession } from './room-api.ts';
import { useRoomI18n, type RoomTranslate } from './room-i18n.ts';
import { guestLink, rememberHostToken, rememberName, savedHostToken, savedName, type RoomAddress } from './room-link.ts';
import { StatusScreen } from './status-screen.tsx';
import { useLocalMedia } from './use-local-media.ts';
import { useRoom } from './use-room.ts';
import './rooms.css';

export type JoinFn = (room: RoomAddress, name: string, localStream: MediaStream | undefined) => Promise<RoomSession>;
/** Why a join did not get in, as the screens tell it. */
export type JoinFailure = 'notFound' | 'locked' | 'full' | 'network' | 'unsupported' | 'other';

interface Props {
  room: RoomAddress;
  join: JoinFn;
  /** Maps a join's rejection to what to tell the person. */
  classify: (error: unknown) => JoinFailure;
  /** Back to the chats, when this browser has an account; otherwise the exits go to the start page. */
  onExit?: (() => void) | undefined;
  defaultName?: string | undefined;
}

type Phase = { kind: 'prejoin'; error: string | null } | { kind: 'joining' } | { kind: 'session'; session: RoomSession } | { kind: 'failed'; reason: JoinFailure; message: string };

declare global {
  interface Window {
    /** The joined room's session, for the media tests (harmless: it holds nothing the page does not). */
    __charlaRoom?: RoomSession;
  }
}

/** A room from its link: the pre-join screen, then the lobby, the call, and how it ended. */
export function RoomApp({ room: address, join, classify, onExit, defaultName }: Props) {
  const { t } = useRoomI18n();
  // The host token leaves the address bar for this browser's storage; the bar shows the guest link.
  const [room] = useState<RoomAddress>(() => {
    if (address.hostToken) {
      rememberHostToken(address.roomId, address.hostToken);
      if (location.pathname.startsWith('/r/')) history.replaceState(history.state, '', `/r/${address.roomId}#${address.secret}`);
    }
    const hostToken = address.hostToken ?? savedHostToken(address.roomId);
    return hostToken ? { roomId: address.roomId, secret: address.secret, hostToken } : { roomId: address.roomId, secret: address.secret };
  });
  const [phase, setPhase] = useState<Phase>({ kind: 'prejoin', error: null });
  const local = useLocalMedia();

  useEffect(() => {
    document.title = t('callTitle');
  }, [t]);

  const start = (name: string): void => {
    rememberName(name);
    const choice = local.wanted;
    setPhase({ kind: 'joining' });
    void (async () => {
      try {
        const session = await join(room, name, local.stream);
        local.release();
        // The pre-join switches carry over: a muted microphone stays muted in the call.
        if (!choice.audio) await session.setAudio(false);
        if (!choice.video) await session.setVideo(false);
        setPhase({ kind: 'session', session });
      } catch (error) {
        const reason = classify(error);
        setPhase({ kind: 'failed', reason, message: error instanceof Error ? error.message : String(error) });
      }
    })();
  };

  if (!room.secret) return <Failed reason="notFound" t={t} onExit={onExit} onRetry={undefined} />;
  if (phase.kind === 'session') {
    return (
      <Joined
        session={phase.session}
        inviteLink={guestLink(location.origin, room)}
        onExit={onExit}
        onRejoin={() => {
          local.retry();
          setPhase({ kind: 'prejoin', error: null });
        }}
      />
    );
  }
  if (phase.kind === 'failed') {
    const retry = (): void => setPhase({ kind: 'prejoin', error: null });
    return <Failed reason={phase.reason} message={phase.message} t={t} onExit={onExit} onRetry={retry} />;
  }
  return <PreJoin media={local} initialName={savedName() || defaultName || ''} busy={phase.kind === 'joining'} error={phase.kind === 'prejoin' ? phase.error : null} onJoin={start} />;
}

function Joined({ session, inviteLink, onExit, onRejoin }: { session: RoomSession; inviteLink: string; onExit: (() => void) | undefined; onRejoin: () => void }) {
  const { t } = useRoomI18n();
  const room = useRoom(session);
  const ended = room.state === 'left' || room.state === 'removed' || room.state === 'refused' || room.state === 'locked-out';

  useEffect(() => {
    if (room.state === 'joined') window.__charlaRoom = session;
  }, [session, room.state]);
  useEffect(() => {
    if (!ended) return;
    // The camera light goes off with the call.
    session.localStream?.getTracks().forEach((track) => track.stop());
    if (window.__charlaRoom === session) delete window.__charlaRoom;
  }, [ended, session]);
  useEffect(() => {
    // Closing the tab, or going back to the chats, leaves the call, so the others see it at once.
    const bye = (): void => void session.leave();
    addEventListener('pagehide', bye);
    return () => {
      removeEventListener('pagehide', bye);
      bye();
      session.localStream?.getTracks().forEach((track) => track.stop());
    };
  }, [session]);

  const exit = onExit ?? (() => location.assign('/'));
  const exitLabel = onExit ? t('backToChats') : t('goHome');
  switch (room.state) {
    case 'connecting':
      return <StatusScreen title={t('joining')} help={t('e2eeNote')} waiting />;
    case 'lobby':
      return (
        <StatusScreen title={t('lobbyTitle')} help={t('lobbyHelp')} waiting>
          <button type="button" onClick={() => void session.leave()}>
            {t('cancel')}
          </button>
        </StatusScreen>
      );
    case 'refused':
      return (
        <StatusScreen title={t('refusedTitle')} help={t('refusedHelp')}>
          <button type="button" onClick={exit}>
            {exitLabel}
          </button>
        </StatusScreen>
      );
    case 'locked-out':
      return (
        <StatusScreen title={t('lockedTitle')} help={t('lockedHelp')}>
          <button type="button" className="primary" onClick={onRejoin}>
            {t('tryAgain')}
          </button>
          <button type="button" onClick={exit}>
            {exitLabel}
          </button>
        </StatusScreen>
      );
    case 'removed':
      return (
        <StatusScreen title={t('removedTitle')} help={t('removedHelp')}>
          <button type="button" onClick={exit}>
            {exitLabel}
          </button>
        </StatusScreen>
      );
    case 'left':
      return (
        <StatusScreen title={t('leftTitle')} help={t('leftHelp')}>
          <button type="button" className="primary" onClick={onRejoin}>
            {t('rejoin')}
          </button>
          <button type="button" onClick={exit}>
            {exitLabel}
          </button>
        </StatusScreen>
      );
    default:
      return <InCall session={session} room={room} inviteLink={inviteLink} onLeave={() => void session.leave()} />;
  }
}

function Failed({ reason, message, t, onExit, onRetry }: { reason: JoinFailure; message?: string; t: RoomTranslate; onExit: (() => void) | undefined; onRetry: (() => void) | undefined }) {
  const exit = onExit ?? (() => location.assign('/'));
  const [title, help] =
    reason === 'notFound'
      ? [t('notFoundTitle'), t('notFoundHelp')]
      : reason === 'locked'
        ? [t('lockedTitle'), t('lockedHelp')]
        : reason === 'full'
          ? [t('fullTitle'), t('fullHelp')]
          : reason === 'network'
            ? [t('errorTitle'), t('networkHelp')]
            : reason === 'unsupported'
              ? [t('errorTitle'), t('unsupportedHelp')]
              : [t('errorTitle'), t('actionFailed', { message: message ?? '' })];
  return (
    <StatusScreen title={title} help={help}>
      {onRetry && reason !== 'notFound' && reason !== 'unsupported' && (
        <button type="button" className="primary" onClick={onRetry}>
          {t('tryAgain')}
        </button>
      )}
      <button type="button" onClick={exit}>
        {onExit ? t('backToChats') : t('goHome')}
      </button>
    </StatusScreen>
  );
}
