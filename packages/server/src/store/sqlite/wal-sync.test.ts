import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DeviceRef, MessageInput } from '../types.ts';
import { SqliteStore } from './sqlite-store.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

async function withStore(fn: (store: SqliteStore, sender: DeviceRef, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'charla-walsync-'));
  const store = new SqliteStore(dir, 'full');
  try {
    const sender = { username: 'wes', deviceId: 'dev-w' };
    await store.createAccount({ username: sender.username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf: { alg: 'scrypt', salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 }, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
    await store.createDeviceAndSession(
      { deviceId: sender.deviceId, username: sender.username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
      { tokenHash: randomBytes(32), deviceId: sender.deviceId, username: sender.username, createdAt: 1, expiresAt: 2 },
    );
    await store.activateDevice(sender.deviceId, 'sig', 'cred', 1);
    await store.createGroup('g1', sender, 1);
    await fn(store, sender, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const message = (sender: DeviceRef, msgId: string): MessageInput => {
  const body = Buffer.from(msgId);
  return { groupId: 'g1', sender, epoch: 0, msgId, body, bodyHash: sha(body), expiresAt: null, ts: 5 };
};

test('[DEL-1][SEND-1] with synchronous FULL a stored send is read by no one before its WAL sync, and by everyone after', async () => {
  await withStore(async (store, sender, dir) => {
    const stored = store.appendMessages([message(sender, 'a'), message(sender, 'b')]);
    // Committed (another connection sees it) but not yet synced: the log reader stops before it.
    const other = new DatabaseSync(join(dir, 'charla.sqlite'), { readOnly: true });
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM group_log').get() as { n: number }).n, 2);
    other.close();
    assert.deepEqual(await store.readLog('g1', 0, null, 10, 0), []);
    const outcomes = await stored;
    assert.deepEqual(outcomes.map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), [1, 2]);
    assert.deepEqual((await store.readLog('g1', 0, null, 10, 0)).map((e) => e.msgId), ['a', 'b']);
  });
});

test('[DEL-1] batches committed while a sync runs share the next one, and are answered in call order with seqs in call order', async () => {
  await withStore(async (store, sender) => {
    const answered: number[] = [];
    const calls = [0, 1, 2, 3, 4].map((b) => store.appendMessages([message(sender, `m${b}x`), message(sender, `m${b}y`)]).then((outcomes) => {
      answered.push(b);
      return outcomes;
    }));
    const outcomes = await Promise.all(calls);
    assert.deepEqual(answered, [0, 1, 2, 3, 4]);
    assert.deepEqual(outcomes.flat().map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // A retry of an answered send is a duplicate with its seq ([SEND-3]); acks go the same way.
    assert.deepEqual(await store.appendMessage(message(sender, 'm2y')), { duplicate: true, seq: 6 });
    await store.saveAcks([{ groupId: 'g1', deviceId: sender.deviceId, seq: 7 }], []);
    assert.deepEqual(await store.listCursors(sender.deviceId), [{ groupId: 'g1', fromSeq: 1, toSeq: null, ackedSeq: 7 }]);
    assert.equal((await store.readLog('g1', 0, null, 100, 0)).length, 10);
  });
});

test('the WAL is copied into the database file by the checkpoint thread, not by a commit on the event loop', async () => {
  await withStore(async (store, sender, dir) => {
    const file = join(dir, 'charla.sqlite');
    const before = (await stat(file)).size;
    for (let b = 0; b < 30; b++) await store.appendMessages(Array.from({ length: 100 }, (_, i) => message(sender, `c${b}-${i}-${'x'.repeat(300)}`)));
    // Automatic checkpoints are off on the store's connection: only the thread grows the file.
    let after = before;
    for (let waited = 0; after <= before && waited < 5_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await stat(file)).size;
    }
    assert.ok(after > before, `the database file grew from ${before} bytes (got ${after})`);
    assert.equal((await store.readLog('g1', 0, null, 5_000, 0)).length, 3_000);
  });
});
