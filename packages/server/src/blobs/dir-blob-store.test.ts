import { test } from 'node:test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobStoreContract } from './blob-store-contract.ts';
import { DirBlobStore } from './dir-blob-store.ts';

blobStoreContract(test, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'charla-dir-blobs-'));
  return {
    store: new DirBlobStore(dir),
    async leftovers() {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});
