import { useEffect, useId, useState } from 'react';
import type { CharlaClient } from '@charla/sdk';
import { Dialog } from '../components/dialog.tsx';
import { LinkDevice } from '../components/link-device.tsx';
import { describeError } from '../errors.ts';
import { LanguageSelect } from '../components/language-select.tsx';
import { useI18n } from '../i18n.ts';
import { notificationStatus, turnNotificationsOff, turnNotificationsOn, type NotificationStatus } from '../notifications.ts';

type Device = Awaited<ReturnType<CharlaClient['devices']>>[number];

/** Settings: language, notifications, and this account's devices. */
export function Settings({ client, revoked, onClose }: { client: CharlaClient; revoked: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const languageId = useId();
  return (
    <Dialog title={t('settings')} onClose={onClose} wide>
      <div className="panel">
        <p className="account">
          {t('signedInAs')} <strong>{client.profile.username}</strong>
        </p>
        <div className="setting">
          <label htmlFor={languageId}>{t('language')}</label>
          <LanguageSelect id={languageId} />
        </div>
        <NotificationsSetting />
        {!revoked && <Devices client={client} />}
      </div>
    </Dialog>
  );
}

function NotificationsSetting() {
  const { t } = useI18n();
  const [status, setStatus] = useState<NotificationStatus>(notificationStatus);
  return (
    <div className="setting">
      <span>{t('notifications')}</span>
      {status === 'unsupported' && <span className="hint">{t('notificationsUnsupported')}</span>}
      {status === 'blocked' && <span className="hint">{t('notificationsBlocked')}</span>}
      {status === 'off' && (
        <button type="button" onClick={() => void turnNotificationsOn().then(setStatus)}>
          {t('turnOnNotifications')}
        </button>
      )}
      {status === 'on' && (
        <button
          type="button"
          onClick={() => {
            turnNotificationsOff();
            setStatus(notificationStatus());
          }}
        >
          {t('turnOffNotifications')}
        </button>
      )}
    </div>
  );
}

function Devices({ client }: { client: CharlaClient }) {
  const { t, language } = useI18n();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [linking, setLinking] = useState(false);
  const headingId = useId();
  const when = (ts: number): string => new Date(ts).toLocaleString(language, { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  const load = (): void => void client.devices().then(setDevices, (e: unknown) => setError(describeError(e, t)));
  useEffect(load, [client]);

  const revoke = async (id: string): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await client.revokeDevice(id);
      setConfirming(null);
      load();
    } catch (e) {
      setError(describeError(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{t('devices')}</h3>
      <p className="hint">{t('devicesHelp')}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {devices && (
        <ul className="devices">
          {devices.map((d) => (
            <li key={d.deviceId}>
              <span className="device-name">
                {d.name || t('unnamedDevice')}
                {d.current && <span className="tag">{t('thisDevice')}</span>}
              </span>
              <span className="hint">
                {t('addedOn', { date: when(d.createdAt) })}
                {!d.current && d.lastSeenAt ? ` · ${t('lastActive', { date: when(d.lastSeenAt) })}` : ''}
              </span>
              {!d.current &&
                (confirming === d.deviceId ? (
                  <span className="confirm" role="group" aria-label={t('removeDeviceNamed', { name: d.name })}>
                    <span>{t('removeDeviceConfirm', { name: d.name })}</span>
                    <span className="row">
                      <button type="button" onClick={() => setConfirming(null)}>
                        {t('cancel')}
                      </button>
                      <button type="button" className="danger-solid" disabled={busy} onClick={() => void revoke(d.deviceId)}>
                        {t('removeDevice')}
                      </button>
                    </span>
                  </span>
                ) : (
                  <button type="button" className="small danger" onClick={() => setConfirming(d.deviceId)} aria-label={t('removeDeviceNamed', { name: d.name })}>
                    {t('removeDevice')}
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
      {linking ? (
        <LinkDevice client={client} onLinked={load} />
      ) : (
        <button type="button" onClick={() => setLinking(true)}>
          {t('linkDevice')}
        </button>
      )}
      <p className="hint">{t('linkDeviceHint')}</p>
    </section>
  );
}
