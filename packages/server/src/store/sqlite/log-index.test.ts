import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DeviceRef } from '../types.ts';
import { INDEX_EVERY_ROWS } from './log.ts';
import type { SqliteStore } from './sqlite-store.ts';
import { testMessage as message, withSqliteStore } from './test-store.ts';

/** Row counts of the log and of its (gno, seq) index, read on a connection of their own. */
function counts(dir: string): { rows: number; indexed: number } {
  const db = new DatabaseSync(join(dir, 'charla.sqlite'), { readOnly: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return { rows: n('SELECT COUNT(*) AS n FROM group_log'), indexed: n('SELECT COUNT(*) AS n FROM log_index') };
  } finally {
    db.close();
  }
}

async function send(store: SqliteStore, sender: DeviceRef, msgIds: readonly string[], expiresAt: number | null = null): Promise<number[]> {
  const outcomes = await store.appendMessages(msgIds.map((id) => message(sender, id, expiresAt)));
  return outcomes.map((o) => {
    assert.ok(o.error === undefined && !o.duplicate, `${JSON.stringify(o)} is a new entry`);
    return o.entry.seq;
  });
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

test('[DEL-2] the log index is written in bulk: rows not in it yet are still read, in seq order', async () => {
  await withSqliteStore('ines', async (store, sender, dir) => {
    // The group's creation wrote no row; a batch below the threshold leaves the index alone.
    const first = await send(store, sender, ids('a', INDEX_EVERY_ROWS - 10));
    assert.deepEqual(counts(dir), { rows: INDEX_EVERY_ROWS - 10, indexed: 0 });
    // A read indexes what waits, then reads through the index.
    const read = await store.readLog('g1', 0, null, 10_000, 10);
    assert.deepEqual(read.map((e) => e.seq), first);
    assert.deepEqual(read.slice(0, 2).map((e) => e.msgId), ['a-00000', 'a-00001']);
    assert.deepEqual(counts(dir), { rows: INDEX_EVERY_ROWS - 10, indexed: INDEX_EVERY_ROWS - 10 });

    // Sends alone index once INDEX_EVERY_ROWS rows wait: batches of 100 cross it on the 11th.
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await send(store, sender, ids(`b${i}`, 100))).at(-1)!;
    assert.deepEqual(counts(dir), { rows: INDEX_EVERY_ROWS + 990, indexed: INDEX_EVERY_ROWS - 10 });
    last = (await send(store, sender, ids('b10', 100))).at(-1)!;
    assert.deepEqual(counts(dir), { rows: 2 * INDEX_EVERY_ROWS + 66, indexed: 2 * INDEX_EVERY_ROWS + 66 });
    const tail = await store.readLog('g1', last - 3, null, 10, 10);
    assert.deepEqual(tail.map((e) => [e.seq, e.msgId]), [[last - 2, 'b10-00097'], [last - 1, 'b10-00098'], [last, 'b10-00099']]);
  });
});

test('[DEL-7] rows written after the newest ones were swept are still found (a row id is never used twice)', async () => {
  await withSqliteStore('ines', async (store, sender, dir) => {
    const seqs = await send(store, sender, ['m1', 'm2', 'm3']);
    assert.equal(await store.ack('g1', sender.deviceId, seqs.at(-1)!), true);
    assert.equal(await store.collectGarbage(0), 3);
    assert.deepEqual(counts(dir), { rows: 0, indexed: 0 });
    // The next rows must not take the swept rows' ids, which the index already counts as indexed.
    const later = await send(store, sender, ['m4', 'm5']);
    assert.deepEqual(later, [4, 5]);
    assert.deepEqual((await store.readLog('g1', 0, null, 10, 10)).map((e) => [e.seq, e.msgId]), [[4, 'm4'], [5, 'm5']]);
    // Idempotency still sees them.
    assert.deepEqual(await store.appendMessage(message(sender, 'm5')), { duplicate: true, seq: 5 });
  });
});

test('[DEL-7] an expired row goes with its index entry, whether it was indexed or not', async () => {
  await withSqliteStore('ines', async (store, sender, dir) => {
    await send(store, sender, ['old-1', 'old-2'], 100);
    await store.readLog('g1', 0, null, 10, 10); // indexes both
    await send(store, sender, ['new-1'], 100); // not indexed yet
    const [keep] = await send(store, sender, ['stays'], 10_000);
    assert.deepEqual(counts(dir), { rows: 4, indexed: 2 });
    assert.equal(await store.deleteExpiredMessages(1_000), 3);
    assert.deepEqual(counts(dir), { rows: 1, indexed: 1 });
    assert.deepEqual((await store.readLog('g1', 0, null, 10, 1_000)).map((e) => [e.seq, e.msgId]), [[keep, 'stays']]);
  });
});

test('[SEND-1] a membership changed by another connection to the file is seen by the next send', async () => {
  await withSqliteStore('ines', async (store, sender, dir) => {
    await send(store, sender, ['before']);
    // Another process (an operator's sqlite3 shell, say) removes the device from the group.
    const other = new DatabaseSync(join(dir, 'charla.sqlite'));
    try {
      other.exec(`UPDATE memberships SET status = 'removed', to_seq = 1 WHERE device_id = '${sender.deviceId}'`);
    } finally {
      other.close();
    }
    assert.deepEqual(await store.appendMessage(message(sender, 'after')), { error: 'NOT_A_MEMBER' });
  });
});

test('[DEL-1] rows another connection appended are neither overwritten nor skipped: the next send reloads what it keeps', async () => {
  await withSqliteStore('ines', async (store, sender, dir) => {
    await send(store, sender, ['ours-1']);
    const other = new DatabaseSync(join(dir, 'charla.sqlite'));
    try {
      // The next rid and seq, as another writer would take them.
      other.exec(`INSERT INTO group_log (rid, gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, body)
        SELECT MAX(rid) + 1, gno, 2, 'app', '${sender.username}', '${sender.deviceId}', 'theirs', 0, 5, x'00' FROM group_log;
        UPDATE groups SET last_seq = 2 WHERE group_id = 'g1';`);
    } finally {
      other.close();
    }
    assert.deepEqual(await send(store, sender, ['ours-2']), [3]);
    assert.deepEqual((await store.readLog('g1', 0, null, 10, 10)).map((e) => [e.seq, e.msgId]), [[1, 'ours-1'], [2, 'theirs'], [3, 'ours-2']]);
  });
});
