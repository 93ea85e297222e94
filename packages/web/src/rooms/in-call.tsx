import { useEffect, useMemo, useRef, useState } from 'react';
import { Icon } from './icons.tsx';
import { ToggleButton } from './media-toggles.tsx';
import { PeoplePanel } from './people-panel.tsx';
import { ChatPanel } from './chat-panel.tsx';
import { QualityIndicator } from './quality-indicator.tsx';
import type { RoomPeer, RoomSession } from './room-api.ts';
import { useRoomI18n } from './room-i18n.ts';
import { Stage, type Layout } from './stage.tsx';
import type { TileModel } from './tile.tsx';
import type { RoomSnapshot } from './use-room.ts';

type Panel = 'people' | 'chat' | null;

interface Props {
  session: RoomSession;
  room: RoomSnapshot;
  inviteLink: string;
  onLeave: () => void;
}

/** The call itself: the people, the controls, and the panels for people, chat and invitations. */
export function InCall({ session, room, inviteLink, onLeave }: Props) {
  const { t } = useRoomI18n();
  // The session is the truth about my media (a screen share ended from the browser's bar, say).
  const { audio: mic, video: cam, screen } = room.media;
  const [layout, setLayout] = useState<Layout>('grid');
  const [panel, setPanel] = useState<Panel>(null);
  const [pinned, setPinned] = useState<string | undefined>();
  const [lastSpeaker, setLastSpeaker] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | null>(null);
  const [muteAsked, setMuteAsked] = useState(false);
  const [knock, setKnock] = useState<RoomPeer | null>(null);
  const [readChat, setReadChat] = useState(room.chat.length);
  const isHost = room.me.role === 'host';

  const act = (action: () => Promise<void> | void): void => {
    void (async () => {
      try {
        await action();
      } catch (error) {
        setNotice(t('actionFailed', { message: error instanceof Error ? error.message : String(error) }));
      }
    })();
  };

  useEffect(() => {
    const onMute = (): void => setMuteAsked(true);
    const onError = (error: unknown): void => {
      // A lost connection has its own banner ("Reconnecting…") and mends itself.
      if ((error as { code?: unknown } | null)?.code === 'NETWORK') return;
      setNotice(t('actionFailed', { message: error instanceof Error ? error.message : String(error) }));
    };
    session.on('muteRequested', onMute);
    session.on('error', onError);
    return () => {
      session.off('muteRequested', onMute);
      session.off('error', onError);
    };
  }, [session, t]);

  // A notice goes away by itself: it must not sit over the controls for the rest of the call.
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 8000);
    return () => clearTimeout(timer);
  }, [notice]);

  // Someone waiting shows in the tab's title too, for a host looking at another tab.
  const waiting = isHost ? room.lobby.length : 0;
  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting}) ${t('callTitle')}` : t('callTitle');
  }, [waiting, t]);

  // The last person heard stays on the big tile until someone else speaks.
  const speaking = room.participants.find((p) => p.speaking)?.participantId;
  useEffect(() => {
    if (speaking) setLastSpeaker(speaking);
  }, [speaking]);

  // A new knock shows a notice to hosts, silently: a sound would interrupt whoever is talking.
  const seenLobby = useRef(new Set(room.lobby.map((p) => p.participantId)));
  useEffect(() => {
    const ids = new Set(room.lobby.map((p) => p.participantId));
    const fresh = room.lobby.find((p) => !seenLobby.current.has(p.participantId));
    seenLobby.current = ids;
    if (fresh && isHost) setKnock(fresh);
    else if (knock && !ids.has(knock.participantId)) setKnock(null);
  }, [room.lobby, isHost]);

  const tiles = useMemo<TileModel[]>(
    () => [
      { id: room.me.participantId, name: room.me.name, role: room.me.role, media: { audio: mic, video: cam, screen }, stream: room.localStream, speaking: mic && room.speakers.includes(room.me.participantId), local: true },
      ...room.participants.map((p) => ({ id: p.participantId, name: p.name, role: p.role, media: p.media, stream: p.stream, speaking: p.speaking, local: false })),
    ],
    [room, mic, cam, screen],
  );
  const sharer = room.participants.find((p) => p.media.screen)?.participantId;
  const present = (id: string | undefined): string | undefined => (id && tiles.some((x) => x.id === id) ? id : undefined);
  const mainId = present(pinned) ?? present(sharer) ?? present(lastSpeaker) ?? room.participants[0]?.participantId ?? room.me.participantId;

  // Tell the SFU what this screen shows: the big tile at full quality, the rest small.
  useEffect(() => {
    if (layout === 'speaker') session.setView({ pinned: mainId === room.me.participantId ? [] : [mainId], lastN: 6, lowQuality: true });
    else session.setView({ pinned: [], lastN: 16, lowQuality: tiles.length > 4 });
  }, [session, layout, mainId, tiles.length > 4]);

  const toggle = (which: Panel): void => {
    setPanel(panel === which ? null : which);
    if (which === 'chat') setReadChat(room.chat.length);
  };
  useEffect(() => {
    if (panel === 'chat') setReadChat(room.chat.length);
  }, [panel, room.chat.length]);
  const unread = panel === 'chat' ? 0 : Math.max(0, room.chat.length - readChat);

  const setAudio = (on: boolean): void => act(() => session.setAudio(on));

  return (
    <main className={`room-page in-call ${panel ? 'with-panel' : ''}`}>
      <header className="call-bar">
        <h1>{t('callTitle')}</h1>
        {room.locked && (
          <span className="call-flag" role="img" aria-label={t('callLocked')} title={t('callLocked')}>
            <Icon name="lock" size={18} />
          </span>
        )}
        <QualityIndicator session={session} />
        <button type="button" className="small" onClick={() => setPanel('people')}>
          {t('invite')}
        </button>
      </header>
      {room.state === 'reconnecting' && (
        <p className="banner call-banner" role="status">
          {t('reconnecting')}
        </p>
      )}
      {muteAsked && (
        <div className="banner call-banner" role="alert">
          <span>{t('muteRequested')}</span>
          <span className="row">
            <button
              type="button"
              className="small primary"
              onClick={() => {
                setAudio(false);
                setMuteAsked(false);
              }}
            >
              {t('muteNow')}
            </button>
            <button type="button" className="small" onClick={() => setMuteAsked(false)}>
              {t('dismiss')}
            </button>
          </span>
        </div>
      )}
      <Stage layout={layout} tiles={tiles} mainId={mainId} onPick={setPinned} />
      {panel && (
        <aside className="call-panel" aria-label={panel === 'people' ? t('people') : t('chat')}>
          <header className="bar">
            <h2>{panel === 'people' ? t('people') : t('chat')}</h2>
            <button type="button" className="icon" aria-label={t('close')} onClick={() => setPanel(null)}>
              ✕
            </button>
          </header>
          <div className="call-panel-body">
            {panel === 'people' ? (
              <PeoplePanel room={room} inviteLink={inviteLink} myMedia={{ audio: mic, video: cam || screen }} act={act} actions={session} />
            ) : (
              <ChatPanel messages={room.chat} onSend={(text) => session.sendChat(text)} />
            )}
          </div>
        </aside>
      )}
      {knock && isHost && panel !== 'people' && (
        <div className="knock" role="status">
          <span>{t('knocking', { name: knock.name })}</span>
          <span className="row">
            <button type="button" className="small primary" aria-label={t('admitNamed', { name: knock.name })} onClick={() => act(() => session.admit(knock.participantId))}>
              {t('admit')}
            </button>
            <button type="button" className="small" onClick={() => (setPanel('people'), setKnock(null))}>
              {t('showLobby')}
            </button>
            <button type="button" className="small" onClick={() => setKnock(null)}>
              {t('dismiss')}
            </button>
          </span>
        </div>
      )}
      {notice && (
        <p className="toast" role="alert">
          <span>{notice}</span>
          <button type="button" className="icon" aria-label={t('close')} onClick={() => setNotice(null)}>
            ✕
          </button>
        </p>
      )}
      <div className="controls" role="group" aria-label={t('callControls')}>
        <ToggleButton label={t('microphone')} on={mic} onIcon="mic" offIcon="micOff" onToggle={() => setAudio(!mic)} />
        <ToggleButton
          label={t('camera')}
          on={cam}
          onIcon="cam"
          offIcon="camOff"
          onToggle={() => act(() => session.setVideo(!cam))}
        />
        {'getDisplayMedia' in (navigator.mediaDevices ?? {}) && (
          <ToggleButton
            label={t('screenShare')}
            on={screen}
            onIcon="screen"
            offIcon="screen"
            mode="option"
            onToggle={() => {
              if (screen) act(() => session.stopScreenShare());
              else
                session.startScreenShare().catch((error: unknown) => {
                  // Cancelling the browser's picker is not an error worth a message.
                  if (!(error instanceof DOMException && error.name === 'NotAllowedError')) setNotice(t('actionFailed', { message: String(error) }));
                });
            }}
          />
        )}
        <ToggleButton label={t('speakerView')} on={layout === 'speaker'} onIcon="speaker" offIcon="speaker" mode="option" onToggle={() => setLayout(layout === 'grid' ? 'speaker' : 'grid')} />
        <button type="button" className={`control ${panel === 'people' ? 'active' : ''}`} aria-expanded={panel === 'people'} aria-label={isHost && room.lobby.length > 0 ? `${t('people')}, ${t('waitingCount', { count: room.lobby.length })}` : t('people')} title={t('people')} onClick={() => toggle('people')}>
          <Icon name="people" />
          {isHost && room.lobby.length > 0 ? <span className="count waiting">{room.lobby.length}</span> : <span className="count">{room.participants.length + 1}</span>}
        </button>
        <button type="button" className={`control ${panel === 'chat' ? 'active' : ''}`} aria-expanded={panel === 'chat'} aria-label={unread > 0 ? t('chatUnread', { count: unread }) : t('chat')} title={t('chat')} onClick={() => toggle('chat')}>
          <Icon name="chat" />
          {unread > 0 && <span className="count waiting">{unread}</span>}
        </button>
        <button type="button" className="control leave" aria-label={t('leaveCall')} title={t('leaveCall')} onClick={onLeave}>
          <Icon name="leave" />
        </button>
      </div>
    </main>
  );
}
