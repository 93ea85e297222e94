import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DeviceRef } from '../types.ts';
import type { SqliteStore } from './sqlite-store.ts';
import { testMessage as message, withSqliteStore } from './test-store.ts';

const withStore = (fn: (store: SqliteStore, sender: DeviceRef, dir: string) => Promise<void>, restartFrames?: number) => withSqliteStore('wes', fn, restartFrames);

test('[DEL-1][SEND-1] with synchronous FULL a stored send is read by no one before its WAL sync, and by everyone after', async () => {
  await withStore(async (store, sender, dir) => {
    const stored = store.appendMessages([message(sender, 'a'), message(sender, 'b')]);
    // Committed (another connection sees it) but not yet synced: the log reader stops before it.
    const other = new DatabaseSync(join(dir, 'charla.sqlite'), { readOnly: true });
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM group_log').get() as { n: number }).n, 2);
    other.close();
    assert.deepEqual(await store.readLog('g1', 0, null, 10, 0), []);
    const outcomes = await stored;
    assert.deepEqual(outcomes.map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), [1, 2]);
    assert.deepEqual((await store.readLog('g1', 0, null, 10, 0)).map((e) => e.msgId), ['a', 'b']);
  });
});

test('[DEL-1] batches committed while a sync runs share the next one, and are answered in call order with seqs in call order', async () => {
  await withStore(async (store, sender) => {
    const answered: number[] = [];
    const calls = [0, 1, 2, 3, 4].map((b) => store.appendMessages([message(sender, `m${b}x`), message(sender, `m${b}y`)]).then((outcomes) => {
      answered.push(b);
      return outcomes;
    }));
    const outcomes = await Promise.all(calls);
    assert.deepEqual(answered, [0, 1, 2, 3, 4]);
    assert.deepEqual(outcomes.flat().map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // A retry of an answered send is a duplicate with its seq ([SEND-3]); acks go the same way.
    assert.deepEqual(await store.appendMessage(message(sender, 'm2y')), { duplicate: true, seq: 6 });
    await store.saveAcks([{ groupId: 'g1', deviceId: sender.deviceId, seq: 7 }], []);
    assert.deepEqual(await store.listCursors(sender.deviceId), [{ groupId: 'g1', fromSeq: 1, toSeq: null, ackedSeq: 7 }]);
    assert.equal((await store.readLog('g1', 0, null, 100, 0)).length, 10);
  });
});

test('the WAL is copied into the database file by the checkpoint thread, not by a commit on the event loop', async () => {
  await withStore(async (store, sender, dir) => {
    const file = join(dir, 'charla.sqlite');
    const before = (await stat(file)).size;
    for (let b = 0; b < 30; b++) await store.appendMessages(Array.from({ length: 100 }, (_, i) => message(sender, `c${b}-${i}-${'x'.repeat(300)}`)));
    // Automatic checkpoints are off on the store's connection: only the thread grows the file.
    let after = before;
    for (let waited = 0; after <= before && waited < 5_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await stat(file)).size;
    }
    assert.ok(after > before, `the database file grew from ${before} bytes (got ${after})`);
    assert.equal((await store.readLog('g1', 0, null, 5_000, 0)).length, 3_000);
  });
});

/**
 * How much `writeSteadily` writes: a count, not a duration. The held WAL's high-water is set by how
 * long one catch-up takes (the thread's poll, then its pass), and on a loaded machine that is longer
 * while the writes are slower; with a fixed duration the control then wrote a quarter as much and
 * the comparison failed (a CI run at load average 18–24; 43 against 69 MB with six busy loops on
 * the 2 cores). With a count the control's WAL is as long on any machine: 440–520 MB against a
 * held 19–37 MB, quiet or loaded. It takes 6 s on a quiet machine, 30 s with those six loops.
 */
const STEADY_MESSAGES = 300_000;

/**
 * Writes `messages` in batches back to back, two in flight like the send batcher, so that some
 * commit always lands while a checkpoint copies. Returns the WAL file's size at the end (its
 * high-water mark: SQLite reuses the file from its start, it does not shrink it), how many times
 * the WAL started over (its frame count, read from the -shm header every 10 ms, went down), and
 * the messages stored.
 */
async function writeSteadily(store: SqliteStore, sender: DeviceRef, dir: string, messages: number): Promise<{ walBytes: number; restarts: number; stored: number }> {
  let n = 0;
  const writer = async () => {
    while (n < messages) {
      const batch = Array.from({ length: 50 }, () => message(sender, `s${n++}-${'x'.repeat(200)}`));
      const out = await store.appendMessages(batch);
      assert.ok(out.every((o) => o.error === undefined && !o.duplicate));
    }
  };
  const shm = await open(join(dir, 'charla.sqlite-shm'), 'r');
  const header = Buffer.alloc(20);
  let restarts = 0;
  let last = 0;
  const sampler = setInterval(() => {
    readSync(shm.fd, header, 0, 20, 0);
    const frames = header.readUInt32LE(16); // mxFrame (walformat.html), native order: x86/arm are LE
    if (frames < last) restarts++;
    last = frames;
  }, 10);
  try {
    await Promise.all([writer(), writer()]);
  } finally {
    clearInterval(sampler);
    await shm.close();
  }
  return { walBytes: (await stat(join(dir, 'charla.sqlite-wal'))).size, restarts, stored: n };
}

test('under steady writes the WAL starts over once it is long: writes are held for a moment while the checkpoint catches up', async () => {
  // Control: with no restarts the WAL only grows (a PASSIVE checkpoint never catches up with the writes).
  let control = { walBytes: 0, restarts: 0, stored: 0 };
  await withStore(async (store, sender, dir) => {
    control = await writeSteadily(store, sender, dir, STEADY_MESSAGES);
  }, 1e9);
  await withStore(async (store, sender, dir) => {
    const { walBytes, restarts, stored } = await writeSteadily(store, sender, dir, STEADY_MESSAGES);
    assert.ok(restarts >= 3, `the WAL started over ${restarts} times (${control.restarts} without the holds)`);
    assert.ok(walBytes * 4 < control.walBytes, `the WAL stayed short: ${walBytes} bytes, against ${control.walBytes} without the holds`);
    // Nothing was lost or reordered by the holds.
    const log = await store.readLog('g1', 0, null, stored + 10, 0);
    assert.equal(log.length, stored);
    assert.deepEqual(log.map((e) => e.seq), Array.from({ length: stored }, (_, i) => i + 1));
  }, 300);
});
