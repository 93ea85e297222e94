import { useEffect, useId, useState } from 'react';
import { Avatar } from '../components/avatar.tsx';
import { Dialog } from '../components/dialog.tsx';
import { Icon } from './icons.tsx';
import { InviteSection } from './invite-section.tsx';
import type { RoomPeer } from './room-api.ts';
import { useRoomI18n } from './room-i18n.ts';
import type { RoomSnapshot } from './use-room.ts';

interface Props {
  room: RoomSnapshot;
  inviteLink: string;
  myMedia: { audio: boolean; video: boolean };
  /** Runs a host action and reports its failure. */
  act: (action: () => Promise<void>) => void;
  actions: {
    lock: (on: boolean) => Promise<void>;
    setLobby: (on: boolean) => Promise<void>;
    admit: (id: string) => Promise<void>;
    refuse: (id: string) => Promise<void>;
    remove: (id: string) => Promise<void>;
    askMute: (id: string) => Promise<void>;
    makeHost: (id: string) => Promise<void>;
  };
}

/** Who is in the call and who waits to get in; for a host, the controls over both and the room. */
export function PeoplePanel({ room, inviteLink, myMedia, act, actions }: Props) {
  const { t } = useRoomI18n();
  const isHost = room.me.role === 'host';
  const [removing, setRemoving] = useState<RoomPeer | null>(null);
  const lobbyHeading = useId();
  const inHeading = useId();
  return (
    <>
      <InviteSection link={inviteLink} />
      {isHost && (
        <section className="panel-section host-settings" aria-label={t('hostSettings')}>
          <Switch label={t('lockCall')} help={t('lockHelp')} value={room.locked} onChange={(on) => actions.lock(on)} act={act} />
          <Switch label={t('lobbyToggle')} help={t('lobbyToggleHelp')} value={room.lobbyEnabled} onChange={(on) => actions.setLobby(on)} act={act} />
        </section>
      )}
      {isHost && (room.lobbyEnabled || room.lobby.length > 0) && (
        <section className="panel-section" aria-labelledby={lobbyHeading}>
          <h3 id={lobbyHeading}>
            {t('lobby')} {room.lobby.length > 0 && <span className="badge">{room.lobby.length}</span>}
          </h3>
          {room.lobby.length === 0 ? (
            <p className="hint">{t('lobbyEmpty')}</p>
          ) : (
            <ul className="people">
              {room.lobby.map((p) => (
                <li key={p.participantId}>
                  <Avatar name={p.name} size={32} />
                  <span className="person-name">{p.name}</span>
                  <span className="row">
                    <button type="button" className="small primary" aria-label={t('admitNamed', { name: p.name })} onClick={() => act(() => actions.admit(p.participantId))}>
                      {t('admit')}
                    </button>
                    <button type="button" className="small" aria-label={t('refuseNamed', { name: p.name })} onClick={() => act(() => actions.refuse(p.participantId))}>
                      {t('refuse')}
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <section className="panel-section" aria-labelledby={inHeading}>
        <h3 id={inHeading}>{t('participantsCount', { count: room.participants.length + 1 })}</h3>
        <ul className="people">
          <li>
            <Avatar name={room.me.name} size={32} />
            <span className="person-name">
              {t('youNamed', { name: room.me.name })}
              {isHost && <span className="tag">{t('host')}</span>}
            </span>
            <MediaBadges audio={myMedia.audio} video={myMedia.video} />
          </li>
          {room.participants.map((p) => (
            <li key={p.participantId}>
              <Avatar name={p.name} size={32} />
              <span className="person-name">
                {p.name}
                {p.role === 'host' && <span className="tag">{t('host')}</span>}
              </span>
              <MediaBadges audio={p.media.audio} video={p.media.video || p.media.screen} />
              {isHost && (
                <span className="row person-actions">
                  {p.media.audio && (
                    <button type="button" className="small" aria-label={t('askToMuteNamed', { name: p.name })} onClick={() => act(() => actions.askMute(p.participantId))}>
                      {t('askToMute')}
                    </button>
                  )}
                  {p.role !== 'host' && (
                    <button type="button" className="small" aria-label={t('makeHostNamed', { name: p.name })} onClick={() => act(() => actions.makeHost(p.participantId))}>
                      {t('makeHost')}
                    </button>
                  )}
                  <button type="button" className="small danger" aria-label={t('removeNamed', { name: p.name })} onClick={() => setRemoving(p)}>
                    {t('remove')}
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>
      {removing && (
        <Dialog title={t('removeConfirmTitle', { name: removing.name })} onClose={() => setRemoving(null)}>
          <p>{t('removeConfirm', { name: removing.name })}</p>
          <div className="row dialog-actions">
            <button type="button" onClick={() => setRemoving(null)}>
              {t('cancel')}
            </button>
            <button
              type="button"
              className="danger-solid"
              onClick={() => {
                const id = removing.participantId;
                setRemoving(null);
                act(() => actions.remove(id));
              }}
            >
              {t('remove')}
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}

function MediaBadges({ audio, video }: { audio: boolean; video: boolean }) {
  const { t } = useRoomI18n();
  return (
    <span className="media-badges">
      {!audio && (
        <span role="img" aria-label={t('muted')} title={t('muted')}>
          <Icon name="micOff" size={18} />
        </span>
      )}
      {!video && (
        <span role="img" aria-label={t('cameraOff')} title={t('cameraOff')}>
          <Icon name="camOff" size={18} />
        </span>
      )}
    </span>
  );
}

/**
 * A room setting as a switch. It flips at once and shows the server's word when it comes: a switch
 * that lags a round trip behind the click feels broken (and a failed change flips back).
 */
function Switch({ label, help, value, onChange, act }: { label: string; help: string; value: boolean; onChange: (on: boolean) => Promise<void>; act: Props['act'] }) {
  const [pending, setPending] = useState<boolean | null>(null);
  // Held until the room says so (its event may come after the request's answer), or the change failed.
  useEffect(() => {
    if (pending === value) setPending(null);
  }, [value, pending]);
  return (
    <label className="switch">
      <input
        type="checkbox"
        role="switch"
        checked={pending ?? value}
        onChange={(e) => {
          const on = e.target.checked;
          setPending(on);
          act(() => onChange(on).catch((error: unknown) => (setPending(null), Promise.reject(error))));
        }}
      />
      <span>
        {label}
        <span className="hint">{help}</span>
      </span>
    </label>
  );
}
