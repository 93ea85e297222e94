import type { DeviceLinkRecord, DeviceRecord, LinkMessage, SessionRecord } from '../types.ts';
import { num, str, Rollback, type PgDb, type Sql } from './pg-db.ts';
import { linkFromRow } from '../rows.ts';

export async function createDeviceLink(sql: Sql, l: DeviceLinkRecord): Promise<'ok' | 'EXISTS'> {
  const inserted = await sql.run(
    'INSERT INTO device_links (link_id, username, creator_device, joiner_device, created_at, expires_at) VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (link_id) DO NOTHING',
    [l.linkId, l.username, l.creatorDevice, l.createdAt, l.expiresAt],
  );
  return inserted === 1 ? 'ok' : 'EXISTS';
}

export async function getDeviceLink(sql: Sql, linkId: string, now: number): Promise<DeviceLinkRecord | undefined> {
  const r = await sql.one('SELECT * FROM device_links WHERE link_id = $1 AND expires_at > $2', [linkId, now]);
  return r ? linkFromRow(r) : undefined;
}

export function joinDeviceLink(db: PgDb, linkId: string, d: DeviceRecord, s: SessionRecord, now: number): Promise<'ok' | 'UNKNOWN_LINK' | 'LINK_USED'> {
  return db.tx(async (sql) => {
    // The row lock makes two joins of one link (on two nodes) take turns: the second sees it used.
    const r = await sql.one('SELECT * FROM device_links WHERE link_id = $1 AND expires_at > $2 FOR UPDATE', [linkId, now]);
    if (!r) return new Rollback('UNKNOWN_LINK' as const);
    const link = linkFromRow(r);
    if (link.joinerDevice !== null) return new Rollback('LINK_USED' as const);
    await sql.run('INSERT INTO devices (device_id, username, name, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)', [d.deviceId, link.username, d.name, d.createdAt, d.lastSeenAt]);
    await sql.run('INSERT INTO sessions (token_hash, device_id, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [s.tokenHash, d.deviceId, link.username, s.createdAt, s.expiresAt]);
    await sql.run('UPDATE device_links SET joiner_device = $1 WHERE link_id = $2', [d.deviceId, linkId]);
    return 'ok' as const;
  });
}

export function appendLinkMessage(db: PgDb, linkId: string, from: 'creator' | 'joiner', payload: string, ts: number): Promise<number> {
  return db.tx(async (sql) => {
    await sql.one('SELECT 1 FROM device_links WHERE link_id = $1 FOR UPDATE', [linkId]);
    const next = await sql.one('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM device_link_messages WHERE link_id = $1', [linkId]);
    const seq = num(next?.['seq']);
    await sql.run('INSERT INTO device_link_messages (link_id, seq, sender, payload, created_at) VALUES ($1, $2, $3, $4, $5)', [linkId, seq, from, payload, ts]);
    return seq;
  });
}

export async function readLinkMessages(sql: Sql, linkId: string): Promise<LinkMessage[]> {
  const rows = await sql.rows('SELECT seq, sender, payload FROM device_link_messages WHERE link_id = $1 ORDER BY seq', [linkId]);
  return rows.map((r) => ({ seq: num(r['seq']), from: str(r['sender']) === 'creator' ? 'creator' : 'joiner', payload: str(r['payload']) }));
}

export function deleteExpiredLinks(db: PgDb, now: number): Promise<number> {
  return db.tx(async (sql) => {
    await sql.run('DELETE FROM device_link_messages WHERE link_id IN (SELECT link_id FROM device_links WHERE expires_at <= $1)', [now]);
    return sql.run('DELETE FROM device_links WHERE expires_at <= $1', [now]);
  });
}
