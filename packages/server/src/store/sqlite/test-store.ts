import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceRef, MessageInput } from '../types.ts';
import { SqliteStore } from './sqlite-store.ts';

/**
 * For the SQLite store's own tests: a store with synchronous FULL in a fresh directory, one
 * activated device (`username`/`dev-<username>`) and group 'g1' it created; removed afterwards.
 */
export async function withSqliteStore(
  username: string,
  fn: (store: SqliteStore, sender: DeviceRef, dir: string) => Promise<void>,
  restartFrames?: number,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `charla-${username}-`));
  const store = new SqliteStore(dir, 'full', restartFrames);
  try {
    const sender = { username, deviceId: `dev-${username}` };
    await store.createAccount({ username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf: { alg: 'scrypt', salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 }, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
    await store.createDeviceAndSession(
      { deviceId: sender.deviceId, username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
      { tokenHash: randomBytes(32), deviceId: sender.deviceId, username, createdAt: 1, expiresAt: 2 },
    );
    await store.activateDevice(sender.deviceId, 'sig', 'cred', 1);
    await store.createGroup('g1', sender, 1);
    await fn(store, sender, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A message of group 'g1' whose body is its msgId, sent at ts 5. */
export function testMessage(sender: DeviceRef, msgId: string, expiresAt: number | null = null): MessageInput {
  const body = Buffer.from(msgId);
  return { groupId: 'g1', sender, epoch: 0, msgId, body, expiresAt, ts: 5 };
}
