import type { Readable } from 'node:stream';
import { randomId } from '@charla/protocol';
import { BlobTooLargeError } from '../blobs/blob-store.ts';
import { BadRequestError, CharlaError } from '../errors.ts';
import type { ServiceContext } from './context.ts';

/** [BLOB-1] Attachments arrive encrypted by the client; the server stores bytes under a random id. */
export class BlobsService {
  readonly #ctx: ServiceContext;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  #tooLarge(cause?: unknown): CharlaError {
    return new CharlaError('BLOB_TOO_LARGE', `a blob is at most ${this.#ctx.config.limits.maxBlobBytes} bytes`, { cause });
  }

  /** [BLOB-2] Streams to the blob store; past maxBlobBytes it stops reading and answers BLOB_TOO_LARGE. */
  async upload(body: Readable, declaredLength: number | undefined): Promise<{ blobId: string; size: number }> {
    const max = this.#ctx.config.limits.maxBlobBytes;
    if (declaredLength !== undefined && declaredLength > max) throw this.#tooLarge();
    const blobId = randomId(16);
    try {
      const { size } = await this.#ctx.blobs.put(blobId, body, max, declaredLength);
      if (size === 0) {
        await this.#ctx.blobs.delete(blobId);
        throw new BadRequestError('a blob needs a non-empty body');
      }
      return { blobId, size };
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw this.#tooLarge(error);
      throw error;
    }
  }

  async download(blobId: string): Promise<{ size: number; stream: Readable }> {
    const blob = await this.#ctx.blobs.get(blobId);
    if (!blob) throw new CharlaError('UNKNOWN_BLOB', 'no such blob');
    return blob;
  }
}
