import { bytesEqual } from '@charla/protocol';
import type {
  AckInput, CommitInput, CommitOutcome, DeviceRef, GroupFailure, GroupInfo, LastSeenInput, MembershipCursor, MessageInput, MessageOutcome,
  RedactOutcome,
} from '../types.ts';
import { appendEntry, indexAll, indexTail, indexTailIfLong, tryInsertMessage } from './log.ts';
import { bodyHash } from '../body-hash.ts';
import { bytesOrNull, num, numOrNull, str, type Db, type HotGroup, type Row } from './db.ts';

export function createGroup(db: Db, groupId: string, creator: DeviceRef, ts: number): 'ok' | 'GROUP_EXISTS' {
  return db.tx(() => {
    if (db.get('SELECT 1 FROM groups WHERE group_id = ?', groupId)) return 'GROUP_EXISTS';
    db.run('INSERT INTO groups (group_id, gno, epoch, last_seq, created_at) VALUES (?, (SELECT COALESCE(MAX(gno), 0) + 1 FROM groups), 0, 0, ?)', groupId, ts);
    db.run("INSERT INTO memberships (group_id, device_id, username, from_seq, to_seq, acked_seq, status) VALUES (?, ?, ?, 1, NULL, 0, 'member')", groupId, creator.deviceId, creator.username);
    return 'ok';
  });
}

/** Group exists and the device is a current member: returns the group's number (the log's key) and epoch. */
function checkMember(db: Db, groupId: string, deviceId: string): GroupFailure | { gno: number; epoch: number; lastSeq: number } {
  const g = db.get('SELECT gno, epoch, last_seq FROM groups WHERE group_id = ?', groupId);
  if (!g) return { error: 'UNKNOWN_GROUP' };
  if (!db.get("SELECT 1 FROM memberships WHERE group_id = ? AND device_id = ? AND status = 'member'", groupId, deviceId)) return { error: 'NOT_A_MEMBER' };
  return { gno: num(g.gno), epoch: num(g.epoch), lastSeq: num(g.last_seq) };
}

/**
 * [SEND-2] Idempotency on (groupId, msgId): same body → the original, different body →
 * MESSAGE_ID_REUSED. A commit's row keeps the hash of its body; a message's row keeps its body,
 * and gets the hash only when the body goes (redact). `body` is the new message's, or null with
 * `hash` a commit's.
 */
function findByMsgId(db: Db, gno: number, msgId: string, body: Uint8Array | null, hash: Uint8Array | null): GroupFailure | { seq: number; epoch: number } | undefined {
  const r = db.get("SELECT seq, epoch, kind, body, body_hash FROM group_log WHERE gno = ? AND msg_id = ? AND kind IN ('app', 'commit')", gno, msgId);
  if (!r) return undefined;
  const storedBody = bytesOrNull(r.body);
  let same: boolean;
  if (body !== null && str(r.kind) === 'app' && storedBody !== null) same = bytesEqual(storedBody, body);
  else {
    const stored = storedHash(r);
    same = stored !== null && bytesEqual(stored, hash ?? bodyHash(body!));
  }
  if (!same) return { error: 'MESSAGE_ID_REUSED' };
  return { seq: num(r.seq), epoch: num(r.epoch) };
}

/** A log row's body hash (`body`, `body_hash` selected): the one kept, or else its body's. */
function storedHash(r: Row): Uint8Array | null {
  const body = bytesOrNull(r.body);
  return bytesOrNull(r.body_hash) ?? (body === null ? null : bodyHash(body));
}

export function applyCommit(db: Db, c: CommitInput): CommitOutcome {
  return db.tx((): CommitOutcome => {
    const g = checkMember(db, c.groupId, c.sender.deviceId);
    if ('error' in g) return g;
    const dup = findByMsgId(db, g.gno, c.msgId, null, c.bodyHash);
    if (dup !== undefined) return 'error' in dup ? dup : { duplicate: true, seq: dup.seq, epoch: dup.epoch + 1 };
    if (c.epoch !== g.epoch) return { error: 'EPOCH_CONFLICT', epoch: g.epoch };

    const adds: DeviceRef[] = [];
    for (const deviceId of new Set(c.add)) {
      const d = db.get('SELECT username FROM devices WHERE device_id = ? AND activated_at IS NOT NULL AND revoked_at IS NULL', deviceId);
      if (!d) return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is not an active device` };
      if (db.get("SELECT 1 FROM memberships WHERE group_id = ? AND device_id = ? AND status = 'member'", c.groupId, deviceId)) {
        return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is already a member` };
      }
      adds.push({ deviceId, username: str(d.username) });
    }
    const removes = [...new Set(c.remove)];
    let removedMembers = 0;
    for (const deviceId of removes) {
      // A revoked device left the server's membership at once but is still in the MLS tree: removing it is valid.
      const m = db.get("SELECT status FROM memberships WHERE group_id = ? AND device_id = ? AND status IN ('member', 'revoked') ORDER BY id DESC LIMIT 1", c.groupId, deviceId);
      if (!m) return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is not a member` };
      if (str(m.status) === 'member') removedMembers++;
    }
    const members = num(db.get("SELECT COUNT(*) AS n FROM memberships WHERE group_id = ? AND status = 'member'", c.groupId)?.n);
    if (members + adds.length - removedMembers > c.maxGroupDevices) {
      return { error: 'INVALID_MEMBERSHIP', message: `a group has at most ${c.maxGroupDevices} devices` };
    }

    const commit = appendEntry(db, {
      groupId: c.groupId, kind: 'commit', sender: c.sender, msgId: c.msgId, ts: c.ts, expiresAt: null, subjectUsername: null,
      target: null, recipients: null, body: c.commit, bodyHash: c.bodyHash, epoch: c.epoch,
    });
    db.run('UPDATE groups SET epoch = epoch + 1 WHERE group_id = ?', c.groupId);
    for (const deviceId of removes) {
      db.run(
        "UPDATE memberships SET status = 'removed', to_seq = COALESCE(to_seq, ?) WHERE group_id = ? AND device_id = ? AND status IN ('member', 'revoked')",
        commit.seq, c.groupId, deviceId,
      );
    }
    let welcome = null;
    if (adds.length > 0 && c.welcome !== null) {
      welcome = appendEntry(db, {
        groupId: c.groupId, kind: 'welcome', sender: c.sender, msgId: c.msgId, ts: c.ts, expiresAt: null, subjectUsername: null,
        target: null, recipients: adds.map((a) => a.deviceId), body: c.welcome, bodyHash: null, epoch: c.epoch + 1,
      });
      for (const a of adds) {
        db.run(
          "INSERT INTO memberships (group_id, device_id, username, from_seq, to_seq, acked_seq, status) VALUES (?, ?, ?, ?, NULL, ?, 'member')",
          c.groupId, a.deviceId, a.username, welcome.seq, welcome.seq - 1,
        );
      }
    }
    return { duplicate: false, commit, welcome, removed: removes };
  });
}

/**
 * Group commit: every input checked and appended in order inside one transaction. Group rows and
 * memberships come from the hot cache (db.ts `hotGroups`: app messages change neither epoch nor
 * membership, and anything that does clears it), read from the database only the first time;
 * each group's last_seq is written once per batch. The unique msgId index sees the rows this
 * transaction already inserted, so a msgId repeated inside the batch is a duplicate. The commit
 * does not sync: the caller awaits `db.durable()` before answering (wal-sync.ts).
 */
export function appendMessages(db: Db, inputs: readonly MessageInput[]): MessageOutcome[] {
  if (inputs.length === 0) return [];
  return db.relaxedTx((): MessageOutcome[] => {
    const hot = db.hotGroups();
    const moved = new Map<string, HotGroup>();
    const out: MessageOutcome[] = [];
    for (const m of inputs) {
      let g = hot.get(m.groupId);
      if (g === undefined) {
        // The group and its first sender's membership in one statement.
        const row = db.get(
          `SELECT gno, epoch, last_seq, EXISTS (SELECT 1 FROM memberships WHERE group_id = groups.group_id AND device_id = ? AND status = 'member') AS member
             FROM groups WHERE group_id = ?`,
          m.sender.deviceId, m.groupId,
        );
        if (!row) {
          out.push({ error: 'UNKNOWN_GROUP' });
          continue;
        }
        g = { gno: num(row.gno), epoch: num(row.epoch), lastSeq: num(row.last_seq), members: new Map([[m.sender.deviceId, num(row.member) === 1]]) };
        hot.set(m.groupId, g);
      }
      let member = g.members.get(m.sender.deviceId);
      if (member === undefined) {
        member = db.get("SELECT 1 FROM memberships WHERE group_id = ? AND device_id = ? AND status = 'member'", m.groupId, m.sender.deviceId) !== undefined;
        g.members.set(m.sender.deviceId, member);
      }
      if (!member) {
        out.push({ error: 'NOT_A_MEMBER' });
        continue;
      }
      // [SEND-3] The msgId check comes before the epoch check, so a retry after a reconnect gets its
      // original seq even if the epoch moved. With the epoch right, the insert itself checks the msgId.
      const entry = m.epoch === g.epoch
        ? tryInsertMessage(db, g.gno, g.lastSeq + 1, m)
        : undefined;
      if (entry === undefined) {
        const dup = findByMsgId(db, g.gno, m.msgId, m.body, null);
        if (dup !== undefined) out.push('error' in dup ? dup : { duplicate: true, seq: dup.seq });
        else if (m.epoch !== g.epoch) out.push({ error: 'EPOCH_CONFLICT', epoch: g.epoch });
        else throw new Error('appendMessages: the log refused a row that is not a duplicate');
        continue;
      }
      g.lastSeq = entry.seq;
      moved.set(m.groupId, g);
      out.push({ duplicate: false, entry });
    }
    for (const [groupId, g] of moved) db.run('UPDATE groups SET last_seq = ? WHERE group_id = ?', g.lastSeq, groupId);
    indexTailIfLong(db);
    return out;
  });
}

export function checkSend(db: Db, groupId: string, deviceId: string, epoch: number): GroupFailure | { epoch: number } {
  const g = checkMember(db, groupId, deviceId);
  if ('error' in g) return g;
  if (g.epoch !== epoch) return { error: 'EPOCH_CONFLICT', epoch: g.epoch };
  return { epoch: g.epoch };
}

export function redact(db: Db, groupId: string, sender: DeviceRef, msgId: string, ts: number): RedactOutcome {
  return db.tx((): RedactOutcome => {
    const g = checkMember(db, groupId, sender.deviceId);
    if ('error' in g) return g;
    const r = db.get("SELECT rid, seq, sender_username, redacted_seq, body, body_hash FROM group_log WHERE gno = ? AND msg_id = ? AND kind = 'app'", g.gno, msgId);
    if (!r) return { error: 'NOT_FOUND' };
    if (str(r.sender_username) !== sender.username) return { error: 'FORBIDDEN' };
    const already = numOrNull(r.redacted_seq);
    if (already !== null) return { duplicate: true, seq: already, entry: null };
    const entry = appendEntry(db, {
      groupId, kind: 'redact', sender, msgId: null, ts, expiresAt: null, subjectUsername: null, target: msgId, recipients: null, body: null, bodyHash: null,
    });
    // The body goes; its hash stays, so a retry of the original send is still told apart from a reused msgId.
    db.run('UPDATE group_log SET body = NULL, body_hash = ?, redacted_seq = ? WHERE rid = ?', storedHash(r), entry.seq, num(r.rid));
    return { duplicate: false, seq: entry.seq, entry };
  });
}

export function getGroupInfo(db: Db, groupId: string, deviceId: string): GroupInfo | GroupFailure {
  const g = checkMember(db, groupId, deviceId);
  if ('error' in g) return g;
  const members = db
    .all("SELECT username, device_id FROM memberships WHERE group_id = ? AND status = 'member' ORDER BY id", groupId)
    .map((r) => ({ username: str(r.username), deviceId: str(r.device_id) }));
  return { epoch: g.epoch, lastSeq: g.lastSeq, members };
}

export function listCursors(db: Db, deviceId: string): MembershipCursor[] {
  return db
    .all(
      `SELECT group_id, from_seq, to_seq, acked_seq FROM memberships
       WHERE device_id = ? AND (status = 'member' OR (status = 'removed' AND acked_seq < to_seq)) ORDER BY group_id, from_seq`,
      deviceId,
    )
    .map((r) => ({ groupId: str(r.group_id), fromSeq: num(r.from_seq), toSeq: numOrNull(r.to_seq), ackedSeq: num(r.acked_seq) }));
}

const ACK_SQL = `UPDATE memberships SET acked_seq = MAX(acked_seq, MIN(?, COALESCE(to_seq, (SELECT last_seq FROM groups g WHERE g.group_id = memberships.group_id))))
     WHERE group_id = ? AND device_id = ?`;

export function ack(db: Db, groupId: string, deviceId: string, seq: number): boolean {
  // Cumulative, never backwards, and never past what exists (an ack of the future must not skip it).
  return db.run(ACK_SQL, seq, groupId, deviceId) > 0;
}

/** Buffered acks and last-seen times in one transaction (one disk sync for all, after `db.durable()`). */
export function saveAcks(db: Db, acks: readonly AckInput[], lastSeen: readonly LastSeenInput[]): void {
  if (acks.length === 0 && lastSeen.length === 0) return;
  db.relaxedTx(() => {
    for (const a of acks) db.run(ACK_SQL, a.seq, a.groupId, a.deviceId);
    for (const s of lastSeen) db.run('UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE device_id = ?', s.ts, s.deviceId);
  });
}

/** Deletes up to `limit` expired entries ([DEL-7]); returns how many went. */
export function deleteExpiredChunk(db: Db, now: number, limit: number): number {
  return db.relaxedTx(() => {
    // Every row is in log_index first, so its index entry goes with it.
    indexTail(db);
    const expired = "SELECT rid, gno, seq FROM group_log WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at, rid LIMIT ?2";
    db.run(`DELETE FROM log_index WHERE (gno, seq) IN (SELECT gno, seq FROM (${expired}))`, now, limit);
    return db.run(`DELETE FROM group_log WHERE rid IN (SELECT rid FROM (${expired}))`, now, limit);
  });
}

/**
 * Per group, the highest seq that may go: every current member acked it (revoked devices never
 * read again, so they do not hold entries back), or it is older than the retention cutoff. A
 * group's entries are in seq order and their ts grows with seq, so retention cuts each group
 * before its first entry at or after the cutoff (an entry whose clock went back stays until the
 * next pass that reaches it). With the lowest seq still stored, so deletion reads only its rows.
 */
export function garbageRanges(db: Db, cutoffTs: number): { gno: number; from: number; upTo: number }[] {
  const out: { gno: number; from: number; upTo: number }[] = [];
  // Every row is in log_index: the ranges below are read and deleted through it.
  indexAll(db);
  const rows = db.all(
    `SELECT g.gno, g.last_seq,
       (SELECT MIN(m.acked_seq) FROM memberships m WHERE m.group_id = g.group_id AND m.status != 'revoked'
          AND (m.to_seq IS NULL OR m.acked_seq < m.to_seq)) AS acked,
       (SELECT MIN(seq) FROM log_index i WHERE i.gno = g.gno) AS first
     FROM groups g`,
  );
  for (const r of rows) {
    if (r.first === null) continue;
    const lastSeq = num(r.last_seq);
    const acked = r.acked === null ? lastSeq : num(r.acked);
    const keep = db.get('SELECT i.seq FROM log_index i JOIN group_log l ON l.rid = i.rid WHERE i.gno = ? AND l.ts >= ? ORDER BY i.seq LIMIT 1', r.gno!, cutoffTs);
    const retained = keep === undefined ? lastSeq : num(keep.seq) - 1;
    const upTo = Math.max(acked, retained);
    if (upTo >= num(r.first)) out.push({ gno: num(r.gno), from: num(r.first), upTo });
  }
  return out;
}

/**
 * Deletes a group's entries with seq in [from, upTo] (a range of log_index's key). The range comes
 * from garbageRanges, which indexed every row first, and ends at or below the group's last seq then:
 * every row in it is in log_index.
 */
export function deleteRange(db: Db, gno: number, from: number, upTo: number): number {
  return db.relaxedTx(() => {
    const n = db.run('DELETE FROM group_log WHERE rid IN (SELECT rid FROM log_index WHERE gno = ? AND seq >= ? AND seq <= ?)', gno, from, upTo);
    db.run('DELETE FROM log_index WHERE gno = ? AND seq >= ? AND seq <= ?', gno, from, upTo);
    return n;
  });
}

export function deletePassedMemberships(db: Db): void {
  db.relaxedTx(() => db.run("DELETE FROM memberships WHERE status = 'removed' AND acked_seq >= to_seq"));
}
