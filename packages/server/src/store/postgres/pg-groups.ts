import { bytesEqual } from '@charla/protocol';
import type {
  AckInput, CommitInput, CommitOutcome, DeviceRef, GroupFailure, GroupInfo, LastSeenInput, LogEntry, MembershipCursor, MessageInput, MessageOutcome,
  RedactOutcome,
} from '../types.ts';
import { appendEntries, lockGroup, lockGroups, type LockedGroup, type NewEntry } from './pg-log.ts';
import { bytesOrNull, num, numOrNull, str, type PgDb, type Sql } from './pg-db.ts';
import { bodyHash } from '../body-hash.ts';
import { deleteUntilShort, seqChunks, SWEEP_CHUNK_ROWS } from '../sweep.ts';

export async function createGroup(db: PgDb, groupId: string, creator: DeviceRef, ts: number): Promise<'ok' | 'GROUP_EXISTS'> {
  return db.tx(async (sql) => {
    const created = await sql.run('INSERT INTO groups (group_id, epoch, last_seq, created_at) VALUES ($1, 0, 0, $2) ON CONFLICT (group_id) DO NOTHING', [groupId, ts]);
    if (created === 0) return 'GROUP_EXISTS' as const;
    await sql.run("INSERT INTO memberships (group_id, device_id, username, from_seq, to_seq, acked_seq, status) VALUES ($1, $2, $3, 1, NULL, 0, 'member')", [groupId, creator.deviceId, creator.username]);
    return 'ok' as const;
  });
}

interface Checked {
  readonly group: LockedGroup;
  readonly members: number;
  /** [SEND-2] The entry with this msgId, if any. */
  readonly dup: { seq: number; epoch: number; bodyHash: Uint8Array | null } | undefined;
}

/**
 * Locks the group row, then (in a statement that starts after the lock is ours, so it sees every
 * append committed before) checks the sender's membership and looks up the message id.
 */
async function lockAndCheck(sql: Sql, groupId: string, deviceId: string, msgId: string | null): Promise<GroupFailure | Checked> {
  const group = await lockGroup(sql, groupId);
  if (!group) return { error: 'UNKNOWN_GROUP' };
  const r = await sql.one(
    `SELECT EXISTS (SELECT 1 FROM memberships WHERE group_id = $1 AND device_id = $2 AND status = 'member') AS member,
            (SELECT COUNT(*) FROM memberships WHERE group_id = $1 AND status = 'member') AS members,
            l.seq, l.epoch, l.body_hash
     FROM (SELECT 1) AS one LEFT JOIN group_log l ON l.group_id = $1 AND l.msg_id = $3 AND l.kind IN ('app', 'commit')`,
    [groupId, deviceId, msgId],
  );
  if (r?.member !== true) return { error: 'NOT_A_MEMBER' };
  const seq = numOrNull(r.seq);
  return { group, members: num(r.members), dup: seq === null ? undefined : { seq, epoch: num(r.epoch), bodyHash: bytesOrNull(r.body_hash) } };
}

/** [SEND-2] Same body → the original; different body → MESSAGE_ID_REUSED. */
function duplicateOf(c: Checked, bodyHash: Uint8Array): GroupFailure | { seq: number; epoch: number } | undefined {
  if (c.dup === undefined) return undefined;
  if (c.dup.bodyHash === null || !bytesEqual(c.dup.bodyHash, bodyHash)) return { error: 'MESSAGE_ID_REUSED' };
  return { seq: c.dup.seq, epoch: c.dup.epoch };
}

export async function applyCommit(db: PgDb, c: CommitInput): Promise<CommitOutcome> {
  return db.tx(async (sql): Promise<CommitOutcome> => {
    const checked = await lockAndCheck(sql, c.groupId, c.sender.deviceId, c.msgId);
    if ('error' in checked) return checked;
    const dup = duplicateOf(checked, c.bodyHash);
    if (dup !== undefined) return 'error' in dup ? dup : { duplicate: true, seq: dup.seq, epoch: dup.epoch + 1 };
    const { group } = checked;
    if (c.epoch !== group.epoch) return { error: 'EPOCH_CONFLICT', epoch: group.epoch };

    const addIds = [...new Set(c.add)];
    const adds: DeviceRef[] = [];
    if (addIds.length > 0) {
      const rows = await sql.rows(
        `SELECT d.device_id, d.username, (d.activated_at IS NOT NULL AND d.revoked_at IS NULL) AS active,
                EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = $1 AND m.device_id = d.device_id AND m.status = 'member') AS member
         FROM devices d WHERE d.device_id = ANY($2::text[])`,
        [c.groupId, addIds],
      );
      const byId = new Map(rows.map((r) => [str(r.device_id), r]));
      for (const deviceId of addIds) {
        const d = byId.get(deviceId);
        if (d?.active !== true) return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is not an active device` };
        if (d.member === true) return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is already a member` };
        adds.push({ deviceId, username: str(d.username) });
      }
    }
    const removes = [...new Set(c.remove)];
    let removedMembers = 0;
    if (removes.length > 0) {
      // A revoked device left the server's membership at once but is still in the MLS tree: removing it is valid.
      const rows = await sql.rows(
        `SELECT DISTINCT ON (device_id) device_id, status FROM memberships
         WHERE group_id = $1 AND device_id = ANY($2::text[]) AND status IN ('member', 'revoked') ORDER BY device_id, id DESC`,
        [c.groupId, removes],
      );
      const status = new Map(rows.map((r) => [str(r.device_id), str(r.status)]));
      for (const deviceId of removes) {
        const s = status.get(deviceId);
        if (s === undefined) return { error: 'INVALID_MEMBERSHIP', message: `device ${deviceId} is not a member` };
        if (s === 'member') removedMembers++;
      }
    }
    if (checked.members + adds.length - removedMembers > c.maxGroupDevices) {
      return { error: 'INVALID_MEMBERSHIP', message: `a group has at most ${c.maxGroupDevices} devices` };
    }

    const base = { sender: c.sender, msgId: c.msgId, ts: c.ts, expiresAt: null, subjectUsername: null, target: null };
    const items: { group: LockedGroup; entry: NewEntry }[] = [{ group, entry: { ...base, kind: 'commit', recipients: null, body: c.commit, bodyHash: c.bodyHash, epoch: c.epoch } }];
    if (adds.length > 0 && c.welcome !== null) {
      items.push({ group, entry: { ...base, kind: 'welcome', recipients: adds.map((a) => a.deviceId), body: c.welcome, bodyHash: null, epoch: c.epoch + 1 } });
    }
    group.epoch = c.epoch + 1;
    const [commit, welcome] = (await appendEntries(sql, items)) as [LogEntry, LogEntry | undefined];
    if (removes.length > 0) {
      await sql.run(
        `UPDATE memberships SET status = 'removed', to_seq = COALESCE(to_seq, $1)
         WHERE group_id = $2 AND device_id = ANY($3::text[]) AND status IN ('member', 'revoked')`,
        [commit.seq, c.groupId, removes],
      );
    }
    if (welcome !== undefined) {
      await sql.run(
        `INSERT INTO memberships (group_id, device_id, username, from_seq, to_seq, acked_seq, status)
         SELECT $1, d, u, $2, NULL, $3, 'member' FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS t(d, u, n) ORDER BY n`,
        [c.groupId, welcome.seq, welcome.seq - 1, adds.map((a) => a.deviceId), adds.map((a) => a.username)],
      );
    }
    return { duplicate: false, commit, welcome: welcome ?? null, removed: removes };
  });
}

export async function appendMessage(db: PgDb, m: MessageInput): Promise<MessageOutcome> {
  return (await appendMessages(db, [m]))[0]!;
}

/**
 * Group commit: locks every touched group row once (in group-id order, like every multi-group
 * transaction, so none deadlocks another), reads the senders' memberships and the batch's msgIds
 * in one statement each, then decides each input in order in memory (a msgId repeated inside the
 * batch is a duplicate of its first occurrence) and inserts the accepted ones in one statement.
 */
export async function appendMessages(db: PgDb, inputs: readonly MessageInput[]): Promise<MessageOutcome[]> {
  if (inputs.length === 0) return [];
  return db.tx(async (sql): Promise<MessageOutcome[]> => {
    const locked = new Map((await lockGroups(sql, [...new Set(inputs.map((m) => m.groupId))])).map((g) => [g.groupId, g]));
    const pairs = inputs.filter((m) => locked.has(m.groupId));
    // Statements that start after the locks are ours see every append committed before them.
    const memberRows = pairs.length === 0 ? [] : await sql.rows(
      `SELECT DISTINCT m.group_id, m.device_id FROM memberships m JOIN unnest($1::text[], $2::text[]) AS u(group_id, device_id)
         ON m.group_id = u.group_id AND m.device_id = u.device_id WHERE m.status = 'member'`,
      [pairs.map((m) => m.groupId), pairs.map((m) => m.sender.deviceId)],
    );
    const members = new Set(memberRows.map((r) => `${str(r.group_id)} ${str(r.device_id)}`));
    const dupRows = pairs.length === 0 ? [] : await sql.rows(
      `SELECT l.group_id, l.msg_id, l.seq, l.body_hash FROM group_log l JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[])) AS u(group_id, msg_id)
         ON l.group_id = u.group_id AND l.msg_id = u.msg_id WHERE l.kind IN ('app', 'commit')`,
      [pairs.map((m) => m.groupId), pairs.map((m) => m.msgId)],
    );
    /** By group and msgId: a stored entry (seq) or one accepted earlier in this batch (its index in `items`). */
    const known = new Map<string, { seq: number; item: number; bodyHash: Uint8Array | null }>();
    for (const r of dupRows) known.set(`${str(r.group_id)} ${str(r.msg_id)}`, { seq: num(r.seq), item: -1, bodyHash: bytesOrNull(r.body_hash) });

    const items: { group: LockedGroup; entry: NewEntry }[] = [];
    /** Per input: its outcome, or the index in `items` of the entry it appends or duplicates. */
    const decided: (MessageOutcome | { item: number; duplicate: boolean })[] = [];
    for (const m of inputs) {
      const group = locked.get(m.groupId);
      if (!group) {
        decided.push({ error: 'UNKNOWN_GROUP' });
        continue;
      }
      if (!members.has(`${m.groupId} ${m.sender.deviceId}`)) {
        decided.push({ error: 'NOT_A_MEMBER' });
        continue;
      }
      // Checked before the epoch, so a retry after a reconnect gets its original seq even if the epoch moved.
      const key = `${m.groupId} ${m.msgId}`;
      const dup = known.get(key);
      // This store keeps every entry's hash (an indexed column it compares in place of the body).
      const hash = bodyHash(m.body);
      if (dup !== undefined) {
        if (dup.bodyHash === null || !bytesEqual(dup.bodyHash, hash)) decided.push({ error: 'MESSAGE_ID_REUSED' });
        else decided.push(dup.item < 0 ? { duplicate: true, seq: dup.seq } : { item: dup.item, duplicate: true });
        continue;
      }
      if (m.epoch !== group.epoch) {
        decided.push({ error: 'EPOCH_CONFLICT', epoch: group.epoch });
        continue;
      }
      known.set(key, { seq: 0, item: items.length, bodyHash: hash });
      decided.push({ item: items.length, duplicate: false });
      items.push({
        group,
        entry: { kind: 'app', sender: m.sender, msgId: m.msgId, ts: m.ts, expiresAt: m.expiresAt, subjectUsername: null, target: null, recipients: null, body: m.body, bodyHash: hash, epoch: m.epoch },
      });
    }
    const entries = await appendEntries(sql, items);
    return decided.map((d): MessageOutcome => {
      if (!('item' in d)) return d;
      const entry = entries[d.item]!;
      return d.duplicate ? { duplicate: true, seq: entry.seq } : { duplicate: false, entry };
    });
  });
}

/** Group exists and the device is a current member: its epoch and last seq (no lock: a read). */
async function checkMember(sql: Sql, groupId: string, deviceId: string): Promise<GroupFailure | { epoch: number; lastSeq: number }> {
  const r = await sql.one(
    `SELECT g.epoch, g.last_seq, EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.group_id AND m.device_id = $2 AND m.status = 'member') AS member
     FROM groups g WHERE g.group_id = $1`,
    [groupId, deviceId],
  );
  if (!r) return { error: 'UNKNOWN_GROUP' };
  if (r.member !== true) return { error: 'NOT_A_MEMBER' };
  return { epoch: num(r.epoch), lastSeq: num(r.last_seq) };
}

export async function checkSend(sql: Sql, groupId: string, deviceId: string, epoch: number): Promise<GroupFailure | { epoch: number }> {
  const g = await checkMember(sql, groupId, deviceId);
  if ('error' in g) return g;
  if (g.epoch !== epoch) return { error: 'EPOCH_CONFLICT', epoch: g.epoch };
  return { epoch: g.epoch };
}

export async function redact(db: PgDb, groupId: string, sender: DeviceRef, msgId: string, ts: number): Promise<RedactOutcome> {
  return db.tx(async (sql): Promise<RedactOutcome> => {
    const checked = await lockAndCheck(sql, groupId, sender.deviceId, null);
    if ('error' in checked) return checked;
    const r = await sql.one("SELECT seq, sender_username, redacted_seq FROM group_log WHERE group_id = $1 AND msg_id = $2 AND kind = 'app'", [groupId, msgId]);
    if (!r) return { error: 'NOT_FOUND' };
    if (str(r.sender_username) !== sender.username) return { error: 'FORBIDDEN' };
    const already = numOrNull(r.redacted_seq);
    if (already !== null) return { duplicate: true, seq: already, entry: null };
    const [entry] = await appendEntries(sql, [{
      group: checked.group,
      entry: { kind: 'redact', sender, msgId: null, ts, expiresAt: null, subjectUsername: null, target: msgId, recipients: null, body: null, bodyHash: null, epoch: checked.group.epoch },
    }]);
    await sql.run('UPDATE group_log SET body = NULL, redacted_seq = $1 WHERE group_id = $2 AND seq = $3', [entry!.seq, groupId, num(r.seq)]);
    return { duplicate: false, seq: entry!.seq, entry: entry! };
  });
}

export async function getGroupInfo(sql: Sql, groupId: string, deviceId: string): Promise<GroupInfo | GroupFailure> {
  const g = await checkMember(sql, groupId, deviceId);
  if ('error' in g) return g;
  const members = (await sql.rows("SELECT username, device_id FROM memberships WHERE group_id = $1 AND status = 'member' ORDER BY id", [groupId]))
    .map((r) => ({ username: str(r.username), deviceId: str(r.device_id) }));
  return { epoch: g.epoch, lastSeq: g.lastSeq, members };
}

export async function listCursors(sql: Sql, deviceId: string): Promise<MembershipCursor[]> {
  const rows = await sql.rows(
    `SELECT group_id, from_seq, to_seq, acked_seq FROM memberships
     WHERE device_id = $1 AND (status = 'member' OR (status = 'removed' AND acked_seq < to_seq)) ORDER BY group_id COLLATE "C", from_seq`,
    [deviceId],
  );
  return rows.map((r) => ({ groupId: str(r.group_id), fromSeq: num(r.from_seq), toSeq: numOrNull(r.to_seq), ackedSeq: num(r.acked_seq) }));
}

export async function ack(sql: Sql, groupId: string, deviceId: string, seq: number): Promise<boolean> {
  // Cumulative, never backwards, and never past what exists (an ack of the future must not skip it).
  const changed = await sql.run(
    `UPDATE memberships m SET acked_seq = GREATEST(m.acked_seq, LEAST($1, COALESCE(m.to_seq, g.last_seq)))
     FROM groups g WHERE g.group_id = m.group_id AND m.group_id = $2 AND m.device_id = $3`,
    [seq, groupId, deviceId],
  );
  return changed > 0;
}

/** Buffered acks and last-seen times in one transaction, in a fixed row order (two nodes' flushes never deadlock). */
export async function saveAcks(db: PgDb, acks: readonly AckInput[], lastSeen: readonly LastSeenInput[]): Promise<void> {
  if (acks.length === 0 && lastSeen.length === 0) return;
  const sorted = [...acks].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  const seen = [...lastSeen].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  await db.tx(async (sql) => {
    if (sorted.length > 0) {
      await sql.run(
        `UPDATE memberships m SET acked_seq = GREATEST(m.acked_seq, LEAST(u.seq, COALESCE(m.to_seq, g.last_seq)))
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(group_id, device_id, seq), groups g
         WHERE m.group_id = u.group_id AND m.device_id = u.device_id AND g.group_id = m.group_id`,
        [sorted.map((a) => a.groupId), sorted.map((a) => a.deviceId), sorted.map((a) => a.seq)],
      );
    }
    if (seen.length > 0) {
      await sql.run(
        `UPDATE devices d SET last_seen_at = GREATEST(COALESCE(d.last_seen_at, 0), u.ts)
         FROM unnest($1::text[], $2::bigint[]) AS u(device_id, ts) WHERE d.device_id = u.device_id`,
        [seen.map((s) => s.deviceId), seen.map((s) => s.ts)],
      );
    }
  });
}

/** Any constant: the advisory lock that lets one node at a time sweep a schema. */
const SWEEP_LOCK_KEY = 0x63686172;

/**
 * Deletes expired entries ([DEL-7]) in statements of at most SWEEP_CHUNK_ROWS rows. One node at a
 * time: while another node sweeps, this pass deletes nothing and the next one catches up.
 */
export async function deleteExpiredMessages(db: PgDb, now: number): Promise<number> {
  return (await db.exclusive(SWEEP_LOCK_KEY, (sql) => deleteInChunks(sql, 'expires_at IS NOT NULL AND expires_at <= $1', now))) ?? 0;
}

/**
 * Deletes entries every current member acked (revoked devices never read again, so they do not
 * hold entries back) by ranges of each group's primary key, then entries older than the cutoff,
 * in statements of at most SWEEP_CHUNK_ROWS rows, one node at a time (see deleteExpiredMessages).
 */
export async function collectGarbage(db: PgDb, cutoffTs: number): Promise<number> {
  const n = await db.exclusive(SWEEP_LOCK_KEY, async (sql) => {
    let n = 0;
    const groups = await sql.rows(
      `SELECT g.group_id,
         COALESCE((SELECT MIN(m.acked_seq) FROM memberships m WHERE m.group_id = g.group_id AND m.status != 'revoked'
                     AND (m.to_seq IS NULL OR m.acked_seq < m.to_seq)), g.last_seq) AS acked,
         (SELECT MIN(seq) FROM group_log l WHERE l.group_id = g.group_id) AS first
       FROM groups g`,
    );
    for (const g of groups) {
      if (g.first === null) continue;
      const acked = Number(g.acked);
      for (const [from, upTo] of seqChunks(Number(g.first), acked)) {
        n += await sql.run('DELETE FROM group_log WHERE group_id = $1 AND seq >= $2 AND seq <= $3', [String(g.group_id), from, upTo]);
      }
    }
    n += await deleteInChunks(sql, 'ts < $1', cutoffTs);
    await sql.run("DELETE FROM memberships WHERE status = 'removed' AND acked_seq >= to_seq");
    return n;
  });
  return n ?? 0;
}

function deleteInChunks(sql: Sql, where: string, value: number): Promise<number> {
  // Each statement is its own short transaction.
  return deleteUntilShort(() => sql.run(`DELETE FROM group_log WHERE ctid = ANY(ARRAY(SELECT ctid FROM group_log WHERE ${where} LIMIT ${SWEEP_CHUNK_ROWS}))`, [value]));
}
