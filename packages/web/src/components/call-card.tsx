import type { CharlaClient, MessageRecord } from '@charla/sdk';
import { useI18n } from '../i18n.ts';

/**
 * A call started in this chat ([CONTENT-11]): the message carries the room, and its key comes from
 * the chat's own encryption, so only members can join. The caller's device opens it as host.
 */
export function CallCard({ client, message, onJoin }: { client: CharlaClient; message: MessageRecord; onJoin: (link: string) => void }) {
  const { t } = useI18n();
  const link = client.callLinkFor(message);
  return (
    <div className="call-card">
      <span className="call-card-title">
        <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z" fill="currentColor" />
        </svg>
        {t('videoCall')}
      </span>
      {link ? (
        <button type="button" className="small primary" onClick={() => onJoin(link)}>
          {t('joinCall')}
        </button>
      ) : (
        <span className="hint">{t('callUnavailable')}</span>
      )}
    </div>
  );
}
