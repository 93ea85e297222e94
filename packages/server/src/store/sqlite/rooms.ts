import type { RoomRecord } from '../types.ts';
import { roomFromRow } from '../rows.ts';
import type { Db } from './db.ts';

export function createRoom(db: Db, r: RoomRecord): 'ok' | 'EXISTS' {
  const inserted = db.run(
    'INSERT INTO rooms (room_id, access_key_hash, host_token_hash, created_by, created_at, expires_at, lobby) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room_id) DO NOTHING',
    r.roomId, r.accessKeyHash, r.hostTokenHash, r.createdBy, r.createdAt, r.expiresAt, r.lobby ? 1 : 0,
  );
  return inserted === 1 ? 'ok' : 'EXISTS';
}

export function getRoom(db: Db, roomId: string, now: number): RoomRecord | undefined {
  const r = db.get('SELECT * FROM rooms WHERE room_id = ? AND expires_at > ?', roomId, now);
  return r ? roomFromRow(r) : undefined;
}

export function touchRoom(db: Db, roomId: string, expiresAt: number): void {
  db.run('UPDATE rooms SET expires_at = ? WHERE room_id = ? AND expires_at < ?', expiresAt, roomId, expiresAt);
}

export function deleteExpiredRooms(db: Db, now: number): number {
  return db.run('DELETE FROM rooms WHERE expires_at <= ?', now);
}
