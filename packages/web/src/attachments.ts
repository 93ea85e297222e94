import type { CharlaClient } from '@charla/sdk';

const THUMBNAIL_MAX_CHARS = 24_000;

/** A small JPEG preview of an image (inside the encrypted message), or nothing for other files. */
export async function makeThumbnail(file: Blob): Promise<{ thumbnail: string; width: number; height: number } | undefined> {
  if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined;
  }
  const { width, height } = bitmap;
  for (const [edge, quality] of [[320, 0.7], [240, 0.6], [160, 0.5], [96, 0.5]] as const) {
    const scale = Math.min(1, edge / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const thumbnail = canvas.toDataURL('image/jpeg', quality);
    if (thumbnail.length <= THUMBNAIL_MAX_CHARS) {
      bitmap.close();
      return { thumbnail, width, height };
    }
  }
  bitmap.close();
  return undefined;
}

export async function sendFiles(
  client: CharlaClient,
  conversationId: string,
  files: readonly File[],
  onProgress: (name: string, done: number, total: number) => void,
): Promise<void> {
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const preview = await makeThumbnail(file);
    await client.sendFile(
      conversationId,
      { bytes, name: file.name || 'file', mediaType: file.type || 'application/octet-stream', ...preview },
      '',
      (done, total) => onProgress(file.name, done, total),
    );
  }
}

/** Decrypted attachment as an object URL (the caller revokes it). */
export async function attachmentUrl(client: CharlaClient, messageId: string, onProgress: (done: number, total: number) => void): Promise<{ url: string; name: string }> {
  const file = await client.downloadAttachment(messageId, onProgress);
  const url = URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mediaType }));
  return { url, name: file.name };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
