import type { EventKind } from '@charla/protocol';
import type { DeviceRef, LogEntry } from '../types.ts';
import { num, str, type Sql } from './pg-db.ts';
import { entryFromRow } from '../rows.ts';

export { entryFromRow };

export interface NewEntry {
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
  readonly epoch: number;
}

/** A group row locked by this transaction (SELECT … FOR UPDATE): seqs after lastSeq are ours to hand out. */
export interface LockedGroup {
  readonly groupId: string;
  epoch: number;
  lastSeq: number;
}

const ROWS_PER_INSERT = 500;

/** Locks the group rows in group-id order, so transactions that lock several never deadlock each other. */
export async function lockGroups(sql: Sql, groupIds: readonly string[]): Promise<LockedGroup[]> {
  if (groupIds.length === 0) return [];
  const rows = await sql.rows('SELECT group_id, epoch, last_seq FROM groups WHERE group_id = ANY($1::text[]) ORDER BY group_id COLLATE "C" FOR UPDATE', [groupIds]);
  return rows.map((r) => ({ groupId: str(r.group_id), epoch: num(r.epoch), lastSeq: num(r.last_seq) }));
}

export async function lockGroup(sql: Sql, groupId: string): Promise<LockedGroup | undefined> {
  return (await lockGroups(sql, [groupId]))[0];
}

/**
 * Appends entries at the next seqs of their locked groups in one INSERT and moves each group's
 * last_seq (and epoch, which the caller may have changed) in one UPDATE. The lock makes the seqs
 * gap-free: nobody else can append to these groups until this transaction ends, and a rollback
 * undoes last_seq too.
 */
export async function appendEntries(sql: Sql, items: readonly { readonly group: LockedGroup; readonly entry: NewEntry }[]): Promise<LogEntry[]> {
  if (items.length === 0) return [];
  const out: LogEntry[] = [];
  type Value = string | number | Uint8Array | readonly string[] | null;
  const cols: Record<string, Value[]> = {};
  const column = (name: string) => (cols[name] ??= []);
  for (const { group, entry: e } of items) {
    const seq = ++group.lastSeq;
    out.push({
      groupId: group.groupId, seq, kind: e.kind, sender: e.sender, msgId: e.msgId, epoch: e.epoch, ts: e.ts, expiresAt: e.expiresAt,
      subjectUsername: e.subjectUsername, target: e.target, recipients: e.recipients, body: e.body,
    });
    column('group_id').push(group.groupId);
    column('seq').push(seq);
    column('kind').push(e.kind);
    column('sender_username').push(e.sender?.username ?? null);
    column('sender_device').push(e.sender?.deviceId ?? null);
    column('msg_id').push(e.msgId);
    column('epoch').push(e.epoch);
    column('ts').push(e.ts);
    column('expires_at').push(e.expiresAt);
    column('subject_username').push(e.subjectUsername);
    column('target').push(e.target);
    column('recipients').push(e.recipients);
    column('body').push(e.body);
    column('body_hash').push(e.bodyHash);
  }
  // Rows go in as VALUES tuples (ragged text[] and bytea columns do not unnest from array
  // parameters), a bounded number per statement to stay far below the 65535-parameter limit.
  const names = Object.keys(cols);
  for (let start = 0; start < out.length; start += ROWS_PER_INSERT) {
    const values: Value[] = [];
    const tuples: string[] = [];
    for (let i = start; i < Math.min(out.length, start + ROWS_PER_INSERT); i++) {
      tuples.push(`(${names.map((n) => `$${values.push(cols[n]![i]!)}${n === 'recipients' ? '::text[]' : ''}`).join(', ')})`);
    }
    await sql.run(`INSERT INTO group_log (${names.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
  const groups = [...new Set(items.map((i) => i.group))];
  await sql.run(
    'UPDATE groups g SET last_seq = u.last_seq, epoch = u.epoch FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(group_id, last_seq, epoch) WHERE g.group_id = u.group_id',
    [groups.map((g) => g.groupId), groups.map((g) => g.lastSeq), groups.map((g) => g.epoch)],
  );
  return out;
}


export async function readLog(sql: Sql, groupId: string, afterSeq: number, uptoSeq: number | null, limit: number, now: number): Promise<LogEntry[]> {
  // Redacted messages keep their row (for idempotency) but lose their body and are not delivered.
  const rows = await sql.rows(
    `SELECT group_id, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at, subject_username, target, recipients, body
     FROM group_log WHERE group_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3) AND (expires_at IS NULL OR expires_at > $4)
       AND NOT (kind = 'app' AND body IS NULL) ORDER BY seq LIMIT $5`,
    [groupId, afterSeq, uptoSeq, now, limit],
  );
  return rows.map(entryFromRow);
}
