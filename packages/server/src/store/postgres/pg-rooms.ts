import type { RoomRecord } from '../types.ts';
import { roomFromRow } from '../rows.ts';
import type { Sql } from './pg-db.ts';

export async function createRoom(sql: Sql, r: RoomRecord): Promise<'ok' | 'EXISTS'> {
  const inserted = await sql.run(
    'INSERT INTO rooms (room_id, access_key_hash, host_token_hash, created_by, created_at, expires_at, lobby) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (room_id) DO NOTHING',
    [r.roomId, r.accessKeyHash, r.hostTokenHash, r.createdBy, r.createdAt, r.expiresAt, r.lobby],
  );
  return inserted === 1 ? 'ok' : 'EXISTS';
}

export async function getRoom(sql: Sql, roomId: string, now: number): Promise<RoomRecord | undefined> {
  const r = await sql.one('SELECT * FROM rooms WHERE room_id = $1 AND expires_at > $2', [roomId, now]);
  return r ? roomFromRow(r) : undefined;
}

export async function touchRoom(sql: Sql, roomId: string, expiresAt: number): Promise<void> {
  await sql.run('UPDATE rooms SET expires_at = $1 WHERE room_id = $2 AND expires_at < $1', [expiresAt, roomId]);
}

export function deleteExpiredRooms(sql: Sql, now: number): Promise<number> {
  return sql.run('DELETE FROM rooms WHERE expires_at <= $1', [now]);
}
