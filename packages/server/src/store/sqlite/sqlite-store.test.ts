import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../store-contract.ts';
import { SqliteStore } from './sqlite-store.ts';

storeContract(test, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'charla-store-test-'));
  const store = new SqliteStore(dir, 'normal');
  return {
    store,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
