import type { AccountRecord, ClaimedKeyPackage, DeviceRecord, LogEntry, SessionRecord } from '../types.ts';
import { appendEntry } from './log.ts';
import { bytes, num, numOrNull, str, type Db } from './db.ts';
import { accountFromRow, deviceFromRow } from '../rows.ts';

export { deviceFromRow };

export function createAccount(db: Db, a: AccountRecord, inviteTokenHash: Uint8Array | null): 'ok' | 'USERNAME_TAKEN' | 'INVALID_INVITE_TOKEN' {
  return db.tx(() => {
    if (db.get('SELECT 1 FROM accounts WHERE username = ?', a.username)) return 'USERNAME_TAKEN';
    if (inviteTokenHash !== null) {
      const used = db.run('UPDATE invite_tokens SET used_by = ?, used_at = ? WHERE token_hash = ? AND used_by IS NULL', a.username, a.createdAt, inviteTokenHash);
      if (used === 0) return 'INVALID_INVITE_TOKEN';
    }
    db.run(
      `INSERT INTO accounts (username, auth_hash, auth_salt, auth_params, kdf, account_public_key, encrypted_account_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      a.username, a.authHash, a.authSalt, JSON.stringify(a.authParams), JSON.stringify(a.kdf), a.accountPublicKey, a.encryptedAccountKey, a.createdAt,
    );
    return 'ok';
  });
}

export function getAccount(db: Db, username: string): AccountRecord | undefined {
  const r = db.get('SELECT * FROM accounts WHERE username = ?', username);
  return r ? accountFromRow(r) : undefined;
}


export function createDeviceAndSession(db: Db, d: DeviceRecord, s: SessionRecord): void {
  db.tx(() => {
    db.run(
      'INSERT INTO devices (device_id, username, name, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
      d.deviceId, d.username, d.name, d.createdAt, d.lastSeenAt,
    );
    db.run(
      'INSERT INTO sessions (token_hash, device_id, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      s.tokenHash, s.deviceId, s.username, s.createdAt, s.expiresAt,
    );
  });
}

export function getSession(db: Db, tokenHash: Uint8Array): { session: SessionRecord; device: DeviceRecord } | undefined {
  const r = db.get(
    `SELECT s.token_hash, s.created_at AS s_created_at, s.expires_at, d.*
     FROM sessions s JOIN devices d ON d.device_id = s.device_id WHERE s.token_hash = ?`,
    tokenHash,
  );
  if (!r) return undefined;
  const device = deviceFromRow(r);
  return {
    session: { tokenHash: bytes(r.token_hash), deviceId: device.deviceId, username: device.username, createdAt: num(r.s_created_at), expiresAt: num(r.expires_at) },
    device,
  };
}

/** Groups in which the account has a current member device: they hear about its device changes. */
function groupsOfAccount(db: Db, username: string): string[] {
  return db.all("SELECT DISTINCT group_id FROM memberships WHERE username = ? AND status = 'member'", username).map((r) => str(r.group_id));
}

function appendDevicesEvents(db: Db, groupIds: Iterable<string>, username: string, ts: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (const groupId of groupIds) {
    out.push(appendEntry(db, { groupId, kind: 'devices', sender: null, msgId: null, ts, expiresAt: null, subjectUsername: username, target: null, recipients: null, body: null, bodyHash: null }));
  }
  return out;
}

export function activateDevice(db: Db, deviceId: string, signatureKey: string, credentialSignature: string, ts: number): LogEntry[] {
  return db.tx(() => {
    const r = db.get('SELECT username FROM devices WHERE device_id = ? AND activated_at IS NULL AND revoked_at IS NULL', deviceId);
    if (!r) return [];
    db.run('UPDATE devices SET signature_key = ?, credential_signature = ?, activated_at = ? WHERE device_id = ?', signatureKey, credentialSignature, ts, deviceId);
    const username = str(r.username);
    return appendDevicesEvents(db, groupsOfAccount(db, username), username, ts);
  });
}

export function revokeDevice(db: Db, username: string, deviceId: string, ts: number): LogEntry[] | 'UNKNOWN_DEVICE' {
  return db.tx(() => {
    const changed = db.run('UPDATE devices SET revoked_at = ? WHERE device_id = ? AND username = ? AND revoked_at IS NULL', ts, deviceId, username);
    if (changed === 0) return 'UNKNOWN_DEVICE';
    db.run('DELETE FROM key_packages WHERE device_id = ?', deviceId);
    const ownGroups = db.all("SELECT group_id FROM memberships WHERE device_id = ? AND status = 'member'", deviceId).map((r) => str(r.group_id));
    // The membership ends at the group's current position: nothing appended from now on reaches it.
    db.run(
      `UPDATE memberships SET status = 'revoked', to_seq = (SELECT last_seq FROM groups g WHERE g.group_id = memberships.group_id)
       WHERE device_id = ? AND status = 'member'`,
      deviceId,
    );
    const groups = new Set([...ownGroups, ...groupsOfAccount(db, username)]);
    return appendDevicesEvents(db, groups, username, ts);
  });
}

export function addKeyPackages(db: Db, deviceId: string, kps: readonly string[], lastResort: string | null, max: number): { count: number; hasLastResort: boolean } | 'POOL_FULL' {
  return db.tx(() => {
    const have = num(db.get('SELECT COUNT(*) AS n FROM key_packages WHERE device_id = ? AND last_resort = 0', deviceId)?.n);
    if (have + kps.length > max) return 'POOL_FULL';
    for (const kp of kps) db.run('INSERT INTO key_packages (device_id, key_package, last_resort) VALUES (?, ?, 0)', deviceId, kp);
    if (lastResort !== null) {
      db.run('DELETE FROM key_packages WHERE device_id = ? AND last_resort = 1', deviceId);
      db.run('INSERT INTO key_packages (device_id, key_package, last_resort) VALUES (?, ?, 1)', deviceId, lastResort);
    }
    return countKeyPackages(db, deviceId);
  });
}

export function countKeyPackages(db: Db, deviceId: string): { count: number; hasLastResort: boolean } {
  const r = db.get('SELECT SUM(last_resort = 0) AS n, SUM(last_resort = 1) AS lr FROM key_packages WHERE device_id = ?', deviceId);
  return { count: numOrNull(r?.n) ?? 0, hasLastResort: (numOrNull(r?.lr) ?? 0) > 0 };
}

export function claimKeyPackages(db: Db, deviceIds: readonly string[]): Map<string, ClaimedKeyPackage> {
  return db.tx(() => {
    const out = new Map<string, ClaimedKeyPackage>();
    for (const deviceId of deviceIds) {
      // Oldest one-time package first; the last-resort one is handed out but never deleted.
      const oneTime = db.get('DELETE FROM key_packages WHERE id = (SELECT id FROM key_packages WHERE device_id = ? AND last_resort = 0 ORDER BY id LIMIT 1) RETURNING key_package', deviceId);
      if (oneTime) {
        out.set(deviceId, { deviceId, keyPackage: str(oneTime.key_package), lastResort: false });
        continue;
      }
      const lr = db.get('SELECT key_package FROM key_packages WHERE device_id = ? AND last_resort = 1', deviceId);
      if (lr) out.set(deviceId, { deviceId, keyPackage: str(lr.key_package), lastResort: true });
    }
    return out;
  });
}
