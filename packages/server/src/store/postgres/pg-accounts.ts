import type { AccountRecord, ClaimedKeyPackage, DeviceRecord, LogEntry, SessionRecord } from '../types.ts';
import { appendEntries, lockGroups } from './pg-log.ts';
import { bytes, num, Rollback, str, type PgDb, type Sql } from './pg-db.ts';
import { accountFromRow, deviceFromRow } from '../rows.ts';

export { deviceFromRow };

export async function createAccount(db: PgDb, a: AccountRecord, inviteTokenHash: Uint8Array | null): Promise<'ok' | 'USERNAME_TAKEN' | 'INVALID_INVITE_TOKEN'> {
  return db.tx(async (sql) => {
    // The insert decides a race for the same username (primary key), checked before the token as in SQLite.
    const inserted = await sql.run(
      `INSERT INTO accounts (username, auth_hash, auth_salt, auth_params, kdf, account_public_key, encrypted_account_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (username) DO NOTHING`,
      [a.username, a.authHash, a.authSalt, JSON.stringify(a.authParams), JSON.stringify(a.kdf), a.accountPublicKey, a.encryptedAccountKey, a.createdAt],
    );
    if (inserted === 0) return new Rollback('USERNAME_TAKEN' as const);
    if (inviteTokenHash !== null) {
      const used = await sql.run('UPDATE invite_tokens SET used_by = $1, used_at = $2 WHERE token_hash = $3 AND used_by IS NULL', [a.username, a.createdAt, inviteTokenHash]);
      if (used === 0) return new Rollback('INVALID_INVITE_TOKEN' as const);
    }
    return 'ok' as const;
  });
}

export async function getAccount(sql: Sql, username: string): Promise<AccountRecord | undefined> {
  const r = await sql.one('SELECT * FROM accounts WHERE username = $1', [username]);
  return r ? accountFromRow(r) : undefined;
}


export async function createDeviceAndSession(db: PgDb, d: DeviceRecord, s: SessionRecord): Promise<void> {
  await db.tx(async (sql) => {
    await sql.run('INSERT INTO devices (device_id, username, name, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)', [d.deviceId, d.username, d.name, d.createdAt, d.lastSeenAt]);
    await sql.run('INSERT INTO sessions (token_hash, device_id, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [s.tokenHash, s.deviceId, s.username, s.createdAt, s.expiresAt]);
  });
}

export async function getSession(sql: Sql, tokenHash: Uint8Array): Promise<{ session: SessionRecord; device: DeviceRecord } | undefined> {
  const r = await sql.one(
    `SELECT s.token_hash, s.created_at AS s_created_at, s.expires_at, d.*
     FROM sessions s JOIN devices d ON d.device_id = s.device_id WHERE s.token_hash = $1`,
    [tokenHash],
  );
  if (!r) return undefined;
  const device = deviceFromRow(r);
  return {
    session: { tokenHash: bytes(r.token_hash), deviceId: device.deviceId, username: device.username, createdAt: num(r.s_created_at), expiresAt: num(r.expires_at) },
    device,
  };
}

/** Appends a 'devices' event ([DEV-3]) to each group, the group rows locked in a fixed order first. */
async function appendDevicesEvents(sql: Sql, groupIds: readonly string[], username: string, ts: number): Promise<LogEntry[]> {
  const groups = await lockGroups(sql, groupIds);
  return appendEntries(
    sql,
    groups.map((group) => ({
      group,
      entry: { kind: 'devices', sender: null, msgId: null, ts, expiresAt: null, subjectUsername: username, target: null, recipients: null, body: null, bodyHash: null, epoch: group.epoch },
    })),
  );
}

/** Groups in which the account has a current member device: they hear about its device changes. */
async function groupsOfAccount(sql: Sql, username: string): Promise<string[]> {
  return (await sql.rows("SELECT DISTINCT group_id FROM memberships WHERE username = $1 AND status = 'member'", [username])).map((r) => str(r.group_id));
}

export async function activateDevice(db: PgDb, deviceId: string, signatureKey: string, credentialSignature: string, ts: number): Promise<LogEntry[]> {
  return db.tx(async (sql) => {
    const r = await sql.one(
      'UPDATE devices SET signature_key = $1, credential_signature = $2, activated_at = $3 WHERE device_id = $4 AND activated_at IS NULL AND revoked_at IS NULL RETURNING username',
      [signatureKey, credentialSignature, ts, deviceId],
    );
    if (!r) return [];
    const username = str(r.username);
    return appendDevicesEvents(sql, await groupsOfAccount(sql, username), username, ts);
  });
}

export async function revokeDevice(db: PgDb, username: string, deviceId: string, ts: number): Promise<LogEntry[] | 'UNKNOWN_DEVICE'> {
  return db.tx(async (sql) => {
    const changed = await sql.run('UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND username = $3 AND revoked_at IS NULL', [ts, deviceId, username]);
    if (changed === 0) return 'UNKNOWN_DEVICE' as const;
    await sql.run('DELETE FROM key_packages WHERE device_id = $1', [deviceId]);
    // The device's own groups and its account's other devices' groups (the device belongs to the
    // account, so that is every group the account is in). Locked before the membership ends, so
    // its to_seq is the group's position and nothing appended later reaches it.
    const groups = await groupsOfAccount(sql, username);
    await lockGroups(sql, groups);
    await sql.run(
      `UPDATE memberships m SET status = 'revoked', to_seq = g.last_seq FROM groups g
       WHERE g.group_id = m.group_id AND m.device_id = $1 AND m.status = 'member'`,
      [deviceId],
    );
    return appendDevicesEvents(sql, groups, username, ts);
  });
}

export async function addKeyPackages(db: PgDb, deviceId: string, kps: readonly string[], lastResort: string | null, max: number): Promise<{ count: number; hasLastResort: boolean } | 'POOL_FULL'> {
  return db.tx(async (sql) => {
    // The device row serialises concurrent uploads of one device, so the pool limit holds.
    await sql.run('SELECT 1 FROM devices WHERE device_id = $1 FOR UPDATE', [deviceId]);
    const have = num((await sql.one('SELECT COUNT(*) AS n FROM key_packages WHERE device_id = $1 AND NOT last_resort', [deviceId]))?.n);
    if (have + kps.length > max) return 'POOL_FULL' as const;
    if (kps.length > 0) {
      await sql.run('INSERT INTO key_packages (device_id, key_package, last_resort) SELECT $1, kp, false FROM unnest($2::text[]) WITH ORDINALITY AS t(kp, n) ORDER BY n', [deviceId, kps]);
    }
    if (lastResort !== null) {
      await sql.run('DELETE FROM key_packages WHERE device_id = $1 AND last_resort', [deviceId]);
      await sql.run('INSERT INTO key_packages (device_id, key_package, last_resort) VALUES ($1, $2, true)', [deviceId, lastResort]);
    }
    return countKeyPackages(sql, deviceId);
  });
}

export async function countKeyPackages(sql: Sql, deviceId: string): Promise<{ count: number; hasLastResort: boolean }> {
  const r = await sql.one('SELECT COUNT(*) FILTER (WHERE NOT last_resort) AS n, COUNT(*) FILTER (WHERE last_resort) AS lr FROM key_packages WHERE device_id = $1', [deviceId]);
  return { count: num(r?.n), hasLastResort: num(r?.lr) > 0 };
}

export async function claimKeyPackages(db: PgDb, deviceIds: readonly string[]): Promise<Map<string, ClaimedKeyPackage>> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0) return new Map();
  return db.tx(async (sql) => {
    const out = new Map<string, ClaimedKeyPackage>();
    // Oldest one-time package per device. SKIP LOCKED: a package another node is claiming right
    // now is passed over instead of waited for, and a locked row is deleted by its locker, so two
    // claims never get the same package. The last-resort one is handed out but never deleted.
    const taken = await sql.rows(
      `DELETE FROM key_packages k USING (
         SELECT (SELECT id FROM key_packages WHERE device_id = d AND NOT last_resort ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) AS id
         FROM unnest($1::text[]) AS d
       ) p WHERE k.id = p.id RETURNING k.device_id, k.key_package`,
      [ids],
    );
    for (const r of taken) out.set(str(r.device_id), { deviceId: str(r.device_id), keyPackage: str(r.key_package), lastResort: false });
    const rest = ids.filter((d) => !out.has(d));
    if (rest.length > 0) {
      const lr = await sql.rows('SELECT device_id, key_package FROM key_packages WHERE device_id = ANY($1::text[]) AND last_resort', [rest]);
      for (const r of lr) out.set(str(r.device_id), { deviceId: str(r.device_id), keyPackage: str(r.key_package), lastResort: true });
    }
    // The caller's order, like the SQLite store.
    return new Map(ids.filter((d) => out.has(d)).map((d) => [d, out.get(d)!]));
  });
}
