import type { DeviceLinkRecord, DeviceRecord, LinkMessage, SessionRecord } from '../types.ts';
import { num, str, type Db } from './db.ts';
import { linkFromRow } from '../rows.ts';

export function createDeviceLink(db: Db, l: DeviceLinkRecord): 'ok' | 'EXISTS' {
  if (db.get('SELECT 1 FROM device_links WHERE link_id = ?', l.linkId)) return 'EXISTS';
  db.run(
    'INSERT INTO device_links (link_id, username, creator_device, joiner_device, created_at, expires_at) VALUES (?, ?, ?, NULL, ?, ?)',
    l.linkId, l.username, l.creatorDevice, l.createdAt, l.expiresAt,
  );
  return 'ok';
}

export function getDeviceLink(db: Db, linkId: string, now: number): DeviceLinkRecord | undefined {
  const r = db.get('SELECT * FROM device_links WHERE link_id = ? AND expires_at > ?', linkId, now);
  return r ? linkFromRow(r) : undefined;
}

export function joinDeviceLink(db: Db, linkId: string, device: DeviceRecord, session: SessionRecord, now: number): 'ok' | 'UNKNOWN_LINK' | 'LINK_USED' {
  return db.tx(() => {
    const link = getDeviceLink(db, linkId, now);
    if (!link) return 'UNKNOWN_LINK';
    if (link.joinerDevice !== null) return 'LINK_USED';
    // The same rows createDeviceAndSession writes, inside this transaction (transactions do not nest).
    db.run('INSERT INTO devices (device_id, username, name, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)', device.deviceId, link.username, device.name, device.createdAt, device.lastSeenAt);
    db.run('INSERT INTO sessions (token_hash, device_id, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', session.tokenHash, device.deviceId, link.username, session.createdAt, session.expiresAt);
    db.run('UPDATE device_links SET joiner_device = ? WHERE link_id = ?', device.deviceId, linkId);
    return 'ok';
  });
}

export function appendLinkMessage(db: Db, linkId: string, from: 'creator' | 'joiner', payload: string, ts: number): number {
  return db.tx(() => {
    const seq = num(db.get('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM device_link_messages WHERE link_id = ?', linkId)?.['seq'] as number);
    db.run('INSERT INTO device_link_messages (link_id, seq, sender, payload, created_at) VALUES (?, ?, ?, ?, ?)', linkId, seq, from, payload, ts);
    return seq;
  });
}

export function readLinkMessages(db: Db, linkId: string): LinkMessage[] {
  return db
    .all('SELECT seq, sender, payload FROM device_link_messages WHERE link_id = ? ORDER BY seq', linkId)
    .map((r) => ({ seq: num(r['seq']), from: str(r['sender']) === 'creator' ? 'creator' : 'joiner', payload: str(r['payload']) }));
}

export function deleteExpiredLinks(db: Db, now: number): number {
  return db.tx(() => {
    db.run('DELETE FROM device_link_messages WHERE link_id IN (SELECT link_id FROM device_links WHERE expires_at <= ?)', now);
    return db.run('DELETE FROM device_links WHERE expires_at <= ?', now);
  });
}
