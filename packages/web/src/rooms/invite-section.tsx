import { useState } from 'react';
import { renderSVG } from 'uqr';
import { useRoomI18n } from './room-i18n.ts';

/** The guest link (never the host's) to copy or scan, and what it means to share it. */
export function InviteSection({ link }: { link: string }) {
  const { t } = useRoomI18n();
  const [copied, setCopied] = useState(false);
  const [showQr, setShowQr] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // Without clipboard permission, select the text so Ctrl+C works.
      document.getElementById('room-invite-link')?.focus();
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2500);
  };
  return (
    <section className="panel-section invite" aria-label={t('invite')}>
      <h3>{t('invite')}</h3>
      <p className="hint">{t('inviteHelp')}</p>
      <input id="room-invite-link" readOnly value={link} aria-label={t('inviteLink')} onFocus={(e) => e.currentTarget.select()} />
      <span className="row">
        <button type="button" className="small" aria-expanded={showQr} onClick={() => setShowQr(!showQr)}>
          {t('showQr')}
        </button>
        <button type="button" className="small primary" onClick={() => void copy()}>
          {t('copyLink')}
        </button>
      </span>
      <p className="hint" role="status">
        {copied ? t('copied') : ''}
      </p>
      {showQr && <div className="qr" role="img" aria-label={t('inviteQr')} dangerouslySetInnerHTML={{ __html: renderSVG(link, { border: 2 }) }} />}
    </section>
  );
}
