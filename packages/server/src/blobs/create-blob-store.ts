import { join } from 'node:path';
import type { ServerConfig } from '../config/load.ts';
import type { BlobStore } from './blob-store.ts';
import { DirBlobStore } from './dir-blob-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';

/** The blob store CHARLA_BLOB_STORE names: files under the data dir, or an S3-compatible bucket. */
export function createBlobStore(config: ServerConfig): BlobStore {
  const c = config.blobStore;
  return c.kind === 's3' ? new S3BlobStore(c) : new DirBlobStore(join(config.dataDir, 'blobs'));
}
