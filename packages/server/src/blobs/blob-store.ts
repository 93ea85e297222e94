import type { Readable } from 'node:stream';

export class BlobTooLargeError extends Error {
  override name = 'BlobTooLargeError';
}

/** Where attachment blobs (already encrypted by clients) live: a directory here, S3 at scale. */
export interface BlobStore {
  /**
   * Streams the body into a new blob; rejects with BlobTooLargeError past maxBytes, leaving
   * nothing behind. `length` is the length the uploader declared (Content-Length), when it did:
   * a store may rely on it to stream straight through, and must refuse a body of another length.
   */
  put(blobId: string, body: Readable, maxBytes: number, length?: number): Promise<{ size: number }>;
  /** Removes the blob; no error if there is none. */
  delete(blobId: string): Promise<void>;
  /** undefined if there is no such blob. */
  get(blobId: string): Promise<{ size: number; stream: Readable } | undefined>;
  /** The blob's size in bytes, or undefined if there is no such blob. */
  size(blobId: string): Promise<number | undefined>;
}
