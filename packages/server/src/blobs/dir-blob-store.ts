import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobId, randomId } from '@charla/protocol';
import { BlobTooLargeError, type BlobStore } from './blob-store.ts';
import { ByteLimit } from './byte-limit.ts';

/**
 * Blobs as files: <dir>/<first two chars>/<id>. Each upload streams into a temp file that is
 * renamed into place only when complete, so a reader never sees half a blob.
 */
export class DirBlobStore implements BlobStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(blobId: string): string {
    if (!BlobId.safeParse(blobId).success) throw new TypeError('invalid blob id');
    return join(this.#dir, blobId.slice(0, 2), blobId);
  }

  async put(blobId: string, body: Readable, maxBytes: number, length?: number): Promise<{ size: number }> {
    const final = this.#path(blobId);
    if (length !== undefined && length > maxBytes) {
      body.destroy();
      throw new BlobTooLargeError(`blob larger than ${maxBytes} bytes`);
    }
    const tmpDir = join(this.#dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${blobId}.${randomId(6)}`);
    const limit = new ByteLimit(maxBytes);
    try {
      await pipeline(body, limit, createWriteStream(tmp, { flags: 'wx' }));
      if (length !== undefined && limit.bytes !== length) throw new Error(`blob body has ${limit.bytes} bytes, ${length} declared`);
      await mkdir(join(this.#dir, blobId.slice(0, 2)), { recursive: true });
      await rename(tmp, final);
      return { size: limit.bytes };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async delete(blobId: string): Promise<void> {
    await rm(this.#path(blobId), { force: true });
  }

  async get(blobId: string): Promise<{ size: number; stream: Readable } | undefined> {
    let path: string;
    try {
      path = this.#path(blobId);
      const s = await stat(path);
      return { size: s.size, stream: createReadStream(path) };
    } catch {
      return undefined;
    }
  }

  async size(blobId: string): Promise<number | undefined> {
    try {
      return (await stat(this.#path(blobId))).size;
    } catch {
      return undefined;
    }
  }
}
