import { useEffect, useState } from 'react';
import type { AttachmentRef } from '@charla/protocol';
import type { CharlaClient } from '@charla/sdk';
import { attachmentUrl, formatSize } from '../attachments.ts';
import { useI18n } from '../i18n.ts';
import { Dialog } from './dialog.tsx';
import { Progress } from './progress.tsx';

/** An image's preview (full view on click) or a file with a download button; both decrypt locally. */
export function AttachmentView({ client, messageId, attachment: a, onError }: { client: CharlaClient; messageId: string; attachment: AttachmentRef; onError: (e: unknown) => void }) {
  const { t } = useI18n();
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [full, setFull] = useState<string | null>(null);
  useEffect(() => () => void (full && URL.revokeObjectURL(full)), [full]);

  const fetchIt = async (): Promise<{ url: string; name: string } | undefined> => {
    setProgress({ done: 0, total: a.size });
    try {
      return await attachmentUrl(client, messageId, (done, total) => setProgress({ done, total }));
    } catch (error) {
      onError(error);
      return undefined;
    } finally {
      setProgress(null);
    }
  };

  if (a.thumbnail) {
    return (
      <>
        <button type="button" className="image-attachment" aria-label={t('openImage', { name: a.name })} onClick={() => void fetchIt().then((f) => f && setFull(f.url))}>
          <img src={a.thumbnail} alt={a.name} {...thumbnailSize(a)} />
        </button>
        {progress && <Progress label={t('downloading', { name: a.name })} done={progress.done} total={progress.total} />}
        {full && (
          <Dialog title={a.name} onClose={() => setFull(null)}>
            <img className="full-image" src={full} alt={a.name} />
          </Dialog>
        )}
      </>
    );
  }
  return (
    <span className="file-attachment">
      <span>📎 {a.name} · {formatSize(a.size)}</span>
      <button
        type="button"
        onClick={() =>
          void fetchIt().then((f) => {
            if (!f) return;
            const link = document.createElement('a');
            link.href = f.url;
            link.download = f.name;
            link.click();
            setTimeout(() => URL.revokeObjectURL(f.url), 10_000);
          })
        }
      >
        {t('download', { name: a.name })}
      </button>
      {progress && <Progress label={t('downloading', { name: a.name })} done={progress.done} total={progress.total} />}
    </span>
  );
}

/** Width and height attributes, so the bubble keeps its size while the thumbnail decodes (no jump). */
function thumbnailSize(a: AttachmentRef): { width?: number; height?: number } {
  if (!a.width || !a.height) return {};
  const width = Math.min(280, a.width);
  return { width, height: Math.round((width * a.height) / a.width) };
}
