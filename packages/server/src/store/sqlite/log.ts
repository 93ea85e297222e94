import type { EventKind } from '@charla/protocol';
import type { DeviceRef, LogEntry } from '../types.ts';
import { num, type Db, type LogRids } from './db.ts';
import { entryFromRow } from '../rows.ts';

export { entryFromRow };

export interface NewEntry {
  readonly groupId: string;
  readonly kind: EventKind;
  readonly sender: DeviceRef | null;
  readonly msgId: string | null;
  readonly ts: number;
  readonly expiresAt: number | null;
  readonly subjectUsername: string | null;
  readonly target: string | null;
  readonly recipients: readonly string[] | null;
  readonly body: Uint8Array | null;
  readonly bodyHash: Uint8Array | null;
  /** Defaults to the group's current epoch. */
  readonly epoch?: number;
}

/**
 * The log's (gno, seq) index is written in bulk, once this many rows wait (or before anything
 * reads or deletes by seq). Written row by row, it cost one index page per group per commit
 * (migration 6); in bulk, sorted by group, a page takes many entries at once.
 */
export const INDEX_EVERY_ROWS = 1_024;

/** How far log_index covers, and the highest rid in the log (0 if it is empty). */
function indexState(db: Db): { indexedUpTo: number; maxRid: number } {
  const r = db.get('SELECT indexed_upto, (SELECT MAX(rid) FROM group_log) AS max_rid FROM log_index_state');
  if (!r) throw new Error('log_index_state has no row');
  return { indexedUpTo: num(r.indexed_upto), maxRid: r.max_rid === null ? 0 : num(r.max_rid) };
}

/** Rids only grow, even past rows the sweep deleted, so a row above indexed_upto is never an old one's. */
function rids(db: Db): LogRids {
  return db.rids(() => {
    const { indexedUpTo, maxRid } = indexState(db);
    return { next: Math.max(indexedUpTo, maxRid) + 1, indexedUpTo };
  });
}

/** Adds the rows not yet in log_index to it. Must run inside a transaction. */
export function indexTail(db: Db): void {
  const r = rids(db);
  const upTo = r.next - 1;
  if (upTo <= r.indexedUpTo) return;
  db.run('INSERT INTO log_index (gno, seq, rid) SELECT gno, seq, rid FROM group_log WHERE rid > ? ORDER BY gno, seq', r.indexedUpTo);
  db.run('UPDATE log_index_state SET indexed_upto = ?', upTo);
  r.indexedUpTo = upTo;
}

/** indexTail once INDEX_EVERY_ROWS rows wait. Must run inside a transaction. */
export function indexTailIfLong(db: Db): void {
  const r = rids(db);
  if (r.next - 1 - r.indexedUpTo >= INDEX_EVERY_ROWS) indexTail(db);
}

/**
 * Before a read or delete by seq: indexes the rows that wait, in a transaction of its own if any
 * do. Its commit needs no sync of its own: log_index is derived from group_log, and a WAL sync
 * covers every commit before it.
 */
export function indexAll(db: Db): void {
  const { indexedUpTo, maxRid } = indexState(db);
  if (maxRid > indexedUpTo) db.relaxedTx(() => indexTail(db));
}

/** Appends one entry at the group's next seq. Must run inside a transaction. */
export function appendEntry(db: Db, e: NewEntry): LogEntry {
  const g = db.get('UPDATE groups SET last_seq = last_seq + 1 WHERE group_id = ? RETURNING gno, last_seq, epoch', e.groupId);
  if (!g) throw new Error('appendEntry: unknown group');
  return insertEntry(db, num(g.gno), num(g.last_seq), e.epoch ?? num(g.epoch), e);
}

/** The log's key for a group (migration 4): its number in `groups.gno`. */
const GNO = '(SELECT gno FROM groups WHERE group_id = ?)';

const INSERT_COLUMNS = `INTO group_log (rid, gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at,
       subject_username, target, recipients, body, body_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function insertRow(db: Db, verb: string, gno: number, seq: number, epoch: number, e: NewEntry): number {
  const n = db.run(
    `${verb} ${INSERT_COLUMNS}`,
    rids(db).next++, gno, seq, e.kind, e.sender?.username ?? null, e.sender?.deviceId ?? null, e.msgId, epoch, e.ts, e.expiresAt,
    e.subjectUsername, e.target, e.recipients === null ? null : JSON.stringify(e.recipients), e.body, e.bodyHash,
  );
  if (n === 1) db.noteAppend(e.groupId, seq);
  return n;
}

function entryOf(seq: number, epoch: number, e: NewEntry): LogEntry {
  return {
    groupId: e.groupId, seq, kind: e.kind, sender: e.sender, msgId: e.msgId, epoch, ts: e.ts, expiresAt: e.expiresAt,
    subjectUsername: e.subjectUsername, target: e.target, recipients: e.recipients, body: e.body,
  };
}

/** Writes the log row at `seq` of group number `gno`; the caller has moved (or will move) the group's last_seq past it. */
export function insertEntry(db: Db, gno: number, seq: number, epoch: number, e: NewEntry): LogEntry {
  insertRow(db, 'INSERT', gno, seq, epoch, e);
  return entryOf(seq, epoch, e);
}

/**
 * Writes an application message at `seq` unless its msgId is already in the group: the unique
 * index answers "new?" as part of the insert, so a new message (nearly all of them) costs no
 * separate lookup. Undefined if the row was refused. The columns an application message leaves
 * empty are not bound (every bound parameter is a conversion on the hot path), body_hash among
 * them: a retry compares bodies, and redact keeps the hash when the body goes (findByMsgId).
 */
export function tryInsertMessage(db: Db, gno: number, seq: number, e: MessageRow): LogEntry | undefined {
  const n = db.run(
    `INSERT OR IGNORE INTO group_log (rid, gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at, body)
     VALUES (?, ?, ?, 'app', ?, ?, ?, ?, ?, ?, ?)`,
    rids(db).next++, gno, seq, e.sender.username, e.sender.deviceId, e.msgId, e.epoch, e.ts, e.expiresAt, e.body,
  );
  if (n !== 1) return undefined;
  db.noteAppend(e.groupId, seq);
  return {
    groupId: e.groupId, seq, kind: 'app', sender: e.sender, msgId: e.msgId, epoch: e.epoch, ts: e.ts, expiresAt: e.expiresAt,
    subjectUsername: null, target: null, recipients: null, body: e.body,
  };
}

export interface MessageRow {
  readonly groupId: string;
  readonly sender: DeviceRef;
  readonly msgId: string;
  readonly epoch: number;
  readonly ts: number;
  readonly expiresAt: number | null;
  readonly body: Uint8Array;
}

export function readLog(db: Db, groupId: string, afterSeq: number, uptoSeq: number | null, limit: number, now: number): LogEntry[] {
  // Redacted messages keep their row (for idempotency) but lose their body and are not delivered.
  // Rows of a commit not yet on disk are not read (wal-sync.ts).
  indexAll(db);
  return db
    .all(
      `SELECT ? AS group_id, l.* FROM log_index i JOIN group_log l ON l.rid = i.rid
         WHERE i.gno = ${GNO} AND i.seq > ? AND i.seq <= ? AND (l.expires_at IS NULL OR l.expires_at > ?)
         AND NOT (l.kind = 'app' AND l.body IS NULL) ORDER BY i.seq LIMIT ?`,
      groupId, groupId, afterSeq, Math.min(uptoSeq ?? Number.MAX_SAFE_INTEGER, db.readableUpTo(groupId)), now, limit,
    )
    .map(entryFromRow);
}
