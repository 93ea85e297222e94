/**
 * The SQLite store alone, no network: `SqliteStore.appendMessages` in batches over 100 groups of
 * one device each, 340-byte bodies, one batch after the other (each awaited: commit + disk sync).
 * Prints msgs/s and the process's CPU per message. Pin it like the server: `taskset -c 0`.
 *
 *   node bench/store-append.ts [batch=400] [rounds=50] [full|normal]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageId } from '@charla/protocol';
import { SqliteStore } from '../packages/server/src/store/sqlite/sqlite-store.ts';
import type { DeviceRef, MessageInput } from '../packages/server/src/store/types.ts';

const batchSize = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 50);
const sync = (process.argv[4] ?? 'full') as 'full' | 'normal';
const dir = mkdtempSync(join(tmpdir(), 'charla-store-bench-'));
const store = new SqliteStore(dir, sync);
const kdf = { alg: 'scrypt' as const, salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 };
const senders: { groupId: string; sender: DeviceRef }[] = [];
for (let i = 0; i < 100; i++) {
  const sender = { username: `u${i}`, deviceId: randomBytes(16).toString('base64url') };
  await store.createAccount({ username: sender.username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
  await store.createDeviceAndSession(
    { deviceId: sender.deviceId, username: sender.username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
    { tokenHash: randomBytes(32), deviceId: sender.deviceId, username: sender.username, createdAt: 1, expiresAt: 2 },
  );
  await store.activateDevice(sender.deviceId, 'sig', 'cred', 1);
  const groupId = randomBytes(16).toString('base64url');
  await store.createGroup(groupId, sender, 1);
  senders.push({ groupId, sender });
}
const body = randomBytes(340);
const batch = (): MessageInput[] => Array.from({ length: batchSize }, (_, i) => {
  const s = senders[i % senders.length]!;
  return { groupId: s.groupId, sender: s.sender, epoch: 0, msgId: messageId(), body, expiresAt: null, ts: Date.now() };
});
for (let i = 0; i < 5; i++) await store.appendMessages(batch());
const started = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < rounds; i++) {
  const outcomes = await store.appendMessages(batch());
  if (outcomes.some((o) => o.error !== undefined || o.duplicate)) throw new Error('a message was not stored');
}
const wall = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const n = batchSize * rounds;
console.log(`sync=${sync}, batches of ${batchSize}: ${Math.round((n / wall) * 1000)} msgs/s, ${(wall / rounds).toFixed(1)} ms per batch, CPU ${((cpu.user + cpu.system) / n).toFixed(1)} µs/msg (user ${(cpu.user / n).toFixed(1)})`);
await store.close();
rmSync(dir, { recursive: true, force: true });
