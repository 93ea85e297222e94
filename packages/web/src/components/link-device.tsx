import { useEffect, useState } from 'react';
import { renderSVG } from 'uqr';
import type { CharlaClient, DeviceLinkSession } from '@charla/sdk';
import { describeError } from '../errors.ts';
import { useI18n } from '../i18n.ts';

/**
 * This device vouches for a new one ([LINK-*]): a QR code to scan (it opens the app on the new
 * device) and the same code to type. Closing the panel cancels the wait.
 */
export function LinkDevice({ client, onLinked }: { client: CharlaClient; onLinked: () => void }) {
  const { t } = useI18n();
  const [session, setSession] = useState<DeviceLinkSession | null>(null);
  const [state, setState] = useState<'starting' | 'waiting' | 'linked' | 'failed'>('starting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let active: DeviceLinkSession | undefined;
    let gone = false;
    client
      .linkNewDevice()
      .then((s) => {
        active = s;
        if (gone) return s.cancel();
        setSession(s);
        setState('waiting');
        return s.completed.then(() => {
          if (gone) return;
          setState('linked');
          onLinked();
        });
      })
      .catch((e: unknown) => {
        if (gone) return;
        setState('failed');
        setError(describeError(e, t));
      });
    return () => {
      gone = true;
      active?.cancel();
    };
  }, [client]); // one link per time the panel opens

  return (
    <div className="link-device" aria-live="polite">
      {state === 'starting' && <p className="hint">{t('working')}</p>}
      {state === 'waiting' && session && (
        <>
          <p>{t('linkDeviceHelp')}</p>
          <div className="qr" role="img" aria-label={t('linkDeviceQr')} dangerouslySetInnerHTML={{ __html: renderSVG(session.url, { border: 2 }) }} />
          <p className="link-code" aria-label={t('linkDeviceCode')}>
            {session.code}
          </p>
          <p className="hint">{t('linkDeviceWaiting')}</p>
        </>
      )}
      {state === 'linked' && (
        <p className="success" role="status">
          {t('linkDeviceDone')}
        </p>
      )}
      {state === 'failed' && error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
