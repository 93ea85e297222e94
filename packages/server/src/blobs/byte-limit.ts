import { Transform, type TransformCallback } from 'node:stream';
import { BlobTooLargeError } from './blob-store.ts';

/**
 * Passes bytes through and fails the stream with BlobTooLargeError once more than maxBytes went
 * by; with `exact`, also fails a stream that ends short of maxBytes, and holds back the last byte
 * until the source has ended, so that a body longer than declared never hands its reader a
 * complete one (an S3 PUT then stays cut off instead of storing the first maxBytes).
 */
export class ByteLimit extends Transform {
  readonly #maxBytes: number;
  readonly #exact: boolean;
  #bytes = 0;
  #exceeded = false;
  #held: Buffer | undefined;

  constructor(maxBytes: number, options: { exact?: boolean } = {}) {
    super();
    this.#maxBytes = maxBytes;
    this.#exact = options.exact ?? false;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** True once the limit was passed (the stream then fails with BlobTooLargeError). */
  get exceeded(): boolean {
    return this.#exceeded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) {
      this.#exceeded = true;
      done(new BlobTooLargeError(`blob larger than ${this.#maxBytes} bytes`));
    } else if (this.#exact && this.#bytes === this.#maxBytes && chunk.length > 0) {
      this.#held = chunk.subarray(chunk.length - 1);
      done(null, chunk.length > 1 ? chunk.subarray(0, chunk.length - 1) : undefined);
    } else {
      done(null, chunk);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.#exact && this.#bytes !== this.#maxBytes) done(new Error(`body ended after ${this.#bytes} of ${this.#maxBytes} bytes`));
    else done(null, this.#held);
  }
}
