import { useEffect, useState } from 'react';
import { renderSVG } from 'uqr';
import type { CharlaClient } from '@charla/sdk';
import { Dialog } from '../components/dialog.tsx';
import { useI18n } from '../i18n.ts';

/** Your invite link and its QR code, to share or show. */
export function Invite({ client, onClose }: { client: CharlaClient; onClose: () => void }) {
  const { t } = useI18n();
  const [link, setLink] = useState('');
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    void client.inviteLink().then(setLink);
  }, [client]);
  return (
    <Dialog title={t('yourInvite')} onClose={onClose}>
      <p>{t('inviteHelp')}</p>
      {link && (
        <>
          <div className="qr" role="img" aria-label={t('yourInvite')} dangerouslySetInnerHTML={{ __html: renderSVG(link, { border: 2 }) }} />
          <input readOnly aria-label={t('yourInvite')} value={link} onFocus={(e) => e.target.select()} />
          <button
            type="button"
            className="primary"
            onClick={() => {
              void navigator.clipboard?.writeText(link).then(() => setCopied(true));
            }}
          >
            {copied ? t('copied') : t('copy')}
          </button>
        </>
      )}
    </Dialog>
  );
}
