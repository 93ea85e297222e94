import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceRef } from '../types.ts';
import { SWEEP_CHUNK_ROWS } from '../sweep.ts';
import type { SqliteStore } from './sqlite-store.ts';
import { testMessage as message, withSqliteStore } from './test-store.ts';

const withStore = (fn: (store: SqliteStore, sender: DeviceRef) => Promise<void>) => withSqliteStore('sara', fn);

/** Appends `count` messages in batches of 1,000; returns the last seq. */
async function fill(store: SqliteStore, sender: DeviceRef, prefix: string, count: number, expiresAt: number | null = null): Promise<number> {
  let last = 0;
  for (let i = 0; i < count; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - i) }, (_, j) => message(sender, `${prefix}-${String(i + j).padStart(6, '0')}`, expiresAt));
    for (const o of await store.appendMessages(batch)) {
      assert.ok(!('error' in o) && !o.duplicate);
      last = o.entry.seq;
    }
  }
  return last;
}

test('[DEL-7] a sweep over a large log deletes it in short steps: sends are stored while it runs, and every passed entry goes', async () => {
  await withStore(async (store, sender) => {
    const count = 3 * SWEEP_CHUNK_ROWS + 5;
    const last = await fill(store, sender, 'acked', count);
    assert.equal(await store.ack('g1', sender.deviceId, last), true);

    const order: string[] = [];
    const sweep = store.collectGarbage(0).then((n) => {
      order.push('sweep');
      return n;
    });
    const send = store.appendMessages([message(sender, 'during-the-sweep')]).then((outcomes) => {
      order.push('send');
      return outcomes;
    });
    const [collected, sent] = await Promise.all([sweep, send]);
    assert.deepEqual(order, ['send', 'sweep'], 'the send was stored between two steps of the sweep, not after it');
    assert.equal(collected, count);
    const during = sent[0]!;
    assert.ok(!('error' in during) && !during.duplicate);
    assert.equal(during.entry.seq, last + 1);
    // Only the new, unacked message is left.
    const left = await store.readLog('g1', 0, null, 10_000, 10);
    assert.deepEqual(left.map((e) => e.seq), [last + 1]);
  });
});

test('[DEL-7] expired messages go in short steps too, and unexpired ones stay', async () => {
  await withStore(async (store, sender) => {
    const count = 2 * SWEEP_CHUNK_ROWS + 3;
    await fill(store, sender, 'expiring', count, 100);
    const keep = await fill(store, sender, 'staying', 2, 10_000);

    const order: string[] = [];
    const expired = store.deleteExpiredMessages(1_000).then((n) => {
      order.push('sweep');
      return n;
    });
    const sent = store.appendMessages([message(sender, 'during-the-sweep')]).then(() => order.push('send'));
    const [n] = await Promise.all([expired, sent]);
    assert.deepEqual(order, ['send', 'sweep']);
    assert.equal(n, count);
    const left = await store.readLog('g1', 0, null, 10_000, 1_000);
    assert.deepEqual(left.map((e) => e.seq), [keep - 1, keep, keep + 1]);
  });
});
