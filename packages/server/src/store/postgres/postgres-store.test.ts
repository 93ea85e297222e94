import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { randomId } from '@charla/protocol';
import { storeContract } from '../store-contract.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/backends.ts';
import { PostgresStore } from './postgres-store.ts';

const available = await createTestDatabase();

if (!available.ok) {
  test('[store] PostgreSQL store contract', { skip: available.reason }, () => undefined);
} else {
  let db: TestDatabase;
  before(() => {
    db = available.value;
  });
  after(async () => {
    await db.drop();
  });

  /** An activated device of a new account, and a group it created. */
  const groupOfOne = async (store: PostgresStore): Promise<{ username: string; deviceId: string; groupId: string }> => {
    const username = `u${randomBytes(4).toString('hex')}`;
    await store.createAccount({ username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf: { alg: 'scrypt', salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 }, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
    const deviceId = randomId(16);
    await store.createDeviceAndSession(
      { deviceId, username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
      { tokenHash: randomBytes(32), deviceId, username, createdAt: 1, expiresAt: 2 },
    );
    await store.activateDevice(deviceId, 'sig', 'cred', 1);
    const groupId = randomId(16);
    await store.createGroup(groupId, { username, deviceId }, 1);
    return { username, deviceId, groupId };
  };

  // Each case gets a schema of its own in this file's database, so counts (expired, collected) are exact.
  storeContract(test, async () => {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const store = await PostgresStore.open({ url: available.value.url, poolSize: 8, schema });
    return {
      store,
      async dispose() {
        await store.close();
      },
    };
  });

  test('[store][DEL-1] seqs stay gap-free while several pools (nodes) append to one group at once', async () => {
    const stores = await Promise.all([0, 1, 2].map(() => PostgresStore.open({ url: available.value.url, poolSize: 4, schema: 'concurrent' })));
    try {
      const [a] = stores as [PostgresStore];
      const { username, deviceId, groupId } = await groupOfOne(a);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const body = randomBytes(8);
          return stores[i % 3]!.appendMessage({ groupId, sender: { username, deviceId }, epoch: 0, msgId: randomId(12), body, expiresAt: null, ts: Date.now() });
        }),
      );
      const seqs = results.map((r) => (r.error === undefined && !r.duplicate ? r.entry.seq : -1)).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i + 1));
      assert.deepEqual((await a.readLog(groupId, 0, null, 100, Date.now())).map((e) => e.seq), seqs);
    } finally {
      for (const s of stores) await s.close();
    }
  });
  test('[store][DEL-7] one node at a time sweeps, in short statements: another node skips its pass while the lock is held', async () => {
    const schema = `sweep_${randomBytes(4).toString('hex')}`;
    const [a, b] = (await Promise.all([0, 1].map(() => PostgresStore.open({ url: available.value.url, poolSize: 4, schema })))) as [PostgresStore, PostgresStore];
    const other = new pg.Client({ connectionString: available.value.url });
    await other.connect();
    try {
      const { username, deviceId, groupId } = await groupOfOne(a);
      const count = 4_005;
      let last = 0;
      for (let i = 0; i < count; i += 1_000) {
        const batch = Array.from({ length: Math.min(1_000, count - i) }, () => {
          const body = randomBytes(8);
          return { groupId, sender: { username, deviceId }, epoch: 0, msgId: randomId(12), body, expiresAt: null, ts: Date.now() };
        });
        for (const o of await a.appendMessages(batch)) last = o.error === undefined && !o.duplicate ? o.entry.seq : -1;
      }
      assert.equal(last, count);
      assert.equal(await a.ack(groupId, deviceId, last), true);

      // Another node's sweep holds the lock: this pass deletes nothing.
      await other.query('SELECT pg_advisory_lock($1, hashtext($2))', [0x63686172, schema]);
      assert.equal(await b.collectGarbage(0), 0);
      assert.equal((await a.readLog(groupId, 0, null, 10_000, Date.now())).length, count);
      await other.query('SELECT pg_advisory_unlock($1, hashtext($2))', [0x63686172, schema]);
      // Free again: every acked entry goes, more than one statement's worth.
      assert.equal(await b.collectGarbage(0), count);
      assert.deepEqual(await a.readLog(groupId, 0, null, 10_000, Date.now()), []);
    } finally {
      await other.end();
      await a.close();
      await b.close();
    }
  });
}
