import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { randomId } from '@charla/protocol';
import { BackendUnavailableError } from '../errors.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import type { DeviceRef, LogEntry, MessageInput } from '../store/types.ts';
import { AppendBatcher } from './append-batcher.ts';

const POISON = 'poison-poison';

/** A real SQLite store whose writes throw when they carry the poison msgId (a failure no check foresees). */
async function poisonedStore(failure: () => Error) {
  const dir = await mkdtemp(join(tmpdir(), 'charla-batcher-'));
  const real = new SqliteStore(dir, 'normal');
  const calls = { batches: [] as number[], single: 0 };
  const store = Object.create(real) as Store;
  store.appendMessages = async (inputs) => {
    calls.batches.push(inputs.length);
    if (inputs.some((m) => m.msgId === POISON)) throw failure();
    return real.appendMessages(inputs);
  };
  store.appendMessage = async (input) => {
    calls.single++;
    if (input.msgId === POISON) throw failure();
    return real.appendMessage(input);
  };
  const username = `u${randomBytes(4).toString('hex')}`;
  await real.createAccount({ username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf: { alg: 'scrypt', salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 }, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
  const deviceId = randomId(16);
  await real.createDeviceAndSession(
    { deviceId, username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
    { tokenHash: randomBytes(32), deviceId, username, createdAt: 1, expiresAt: 2 },
  );
  await real.activateDevice(deviceId, 'sig', 'cred', 1);
  const groupId = randomId(16);
  await real.createGroup(groupId, { username, deviceId }, 1);
  return { store, real, calls, sender: { username, deviceId } as DeviceRef, groupId, dispose: async () => (await real.close(), await rm(dir, { recursive: true, force: true })) };
}

function message(groupId: string, sender: DeviceRef, msgId = randomId(12)): MessageInput {
  const body = randomBytes(16);
  return { groupId, sender, epoch: 0, msgId, body, expiresAt: null, ts: 1 };
}

test('[SEND-1] messages of one turn go to the store as one batch, answered in order after it, published in seq order', async () => {
  const t = await poisonedStore(() => new Error('unused'));
  const published: LogEntry[] = [];
  const batcher = new AppendBatcher(t.store, pino({ level: 'silent' }), async (e) => void published.push(e));
  const inputs = Array.from({ length: 25 }, () => message(t.groupId, t.sender));
  const outcomes = await Promise.all(inputs.map((m) => batcher.append(m)));
  assert.deepEqual(t.calls.batches, [25]);
  assert.deepEqual(outcomes.map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), inputs.map((_, i) => i + 1));
  assert.deepEqual(published.map((e) => e.msgId), inputs.map((m) => m.msgId));
  await t.dispose();
});

test('[SEND-1] a message that breaks its batch fails alone; the others are stored, in order', async () => {
  const t = await poisonedStore(() => new Error('disk says no to this row'));
  const published: LogEntry[] = [];
  const batcher = new AppendBatcher(t.store, pino({ level: 'silent' }), async (e) => void published.push(e));
  const inputs = [message(t.groupId, t.sender), message(t.groupId, t.sender, POISON), message(t.groupId, t.sender)];
  const results = await Promise.allSettled(inputs.map((m) => batcher.append(m)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /disk says no/);
  assert.deepEqual(t.calls, { batches: [3], single: 3 });
  assert.deepEqual((await t.real.readLog(t.groupId, 0, null, 10, 2)).map((e) => e.msgId), [inputs[0]!.msgId, inputs[2]!.msgId]);
  assert.deepEqual(published.map((e) => e.seq), [1, 2]);
  await t.dispose();
});

test('[SEND-1] an unreachable database fails the whole batch at once (nobody is answered ok)', async () => {
  const t = await poisonedStore(() => new BackendUnavailableError('database', new Error('gone')));
  const batcher = new AppendBatcher(t.store, pino({ level: 'silent' }), async () => undefined);
  const results = await Promise.allSettled([message(t.groupId, t.sender), message(t.groupId, t.sender, POISON)].map((m) => batcher.append(m)));
  assert.deepEqual(results.map((r) => r.status === 'rejected' && r.reason instanceof BackendUnavailableError), [true, true]);
  assert.deepEqual(t.calls, { batches: [2], single: 0 });
  await t.dispose();
});
