import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';
import { SqliteStore } from './sqlite-store.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

test('[DEL-1][SEND-3] migration 4 moves a version-3 log to group numbers: entries, seqs and msgId idempotency survive', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'charla-migrate-'));
  try {
    // A database as version 3 left it, with two groups' logs in it.
    const old = new DatabaseSync(join(dir, 'charla.sqlite'));
    old.exec('PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, 1)').run(m.version);
    }
    old.exec(`INSERT INTO accounts VALUES ('ana', x'00', x'00', '{}', '{}', 'k', 'e', 1)`);
    old.exec(`INSERT INTO devices (device_id, username, name, created_at, activated_at) VALUES ('d1', 'ana', 'd', 1, 1)`);
    const bodies = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')];
    for (const [groupId, n] of [['ga', 2], ['gb', 1]] as const) {
      old.prepare('INSERT INTO groups (group_id, epoch, last_seq, created_at) VALUES (?, 0, ?, 1)').run(groupId, n);
      old.prepare("INSERT INTO memberships (group_id, device_id, username, from_seq, acked_seq, status) VALUES (?, 'd1', 'ana', 1, 0, 'member')").run(groupId);
      for (let seq = 1; seq <= n; seq++) {
        const body = bodies[groupId === 'ga' ? seq - 1 : 2]!;
        old.prepare(
          "INSERT INTO group_log (group_id, seq, kind, sender_username, sender_device, msg_id, epoch, ts, body, body_hash) VALUES (?, ?, 'app', 'ana', 'd1', ?, 0, 5, ?, ?)",
        ).run(groupId, seq, `${groupId}-m${seq}`, body, sha(body));
      }
    }
    old.close();

    const store = new SqliteStore(dir, 'normal');
    try {
      const ga = await store.readLog('ga', 0, null, 10, 0);
      assert.deepEqual(ga.map((e) => [e.groupId, e.seq, e.msgId, Buffer.from(e.body!).toString()]), [['ga', 1, 'ga-m1', 'one'], ['ga', 2, 'ga-m2', 'two']]);
      assert.deepEqual((await store.readLog('gb', 0, null, 10, 0)).map((e) => [e.groupId, e.seq, e.msgId]), [['gb', 1, 'gb-m1']]);
      const sender = { username: 'ana', deviceId: 'd1' };
      const send = (groupId: string, msgId: string, body: Buffer) =>
        store.appendMessage({ groupId, sender, epoch: 0, msgId, body, expiresAt: null, ts: 6 });
      // A msgId stored before the migration is still a duplicate (same body) or reused (other body).
      assert.deepEqual(await send('ga', 'ga-m2', bodies[1]!), { duplicate: true, seq: 2 });
      assert.deepEqual(await send('ga', 'ga-m2', Buffer.from('other')), { error: 'MESSAGE_ID_REUSED' });
      const next = await send('ga', 'ga-m3', Buffer.from('four'));
      assert.ok(next.error === undefined && !next.duplicate);
      assert.equal(next.entry.seq, 3);
      // A group created after the migration gets its own number.
      assert.equal(await store.createGroup('gc', sender, 7), 'ok');
      const first = await send('gc', 'gc-m1', Buffer.from('five'));
      assert.ok(first.error === undefined && !first.duplicate);
      assert.equal(first.entry.seq, 1);
      assert.deepEqual((await store.readLog('gc', 0, null, 10, 0)).map((e) => e.msgId), ['gc-m1']);
      assert.deepEqual((await store.readLog('ga', 2, null, 10, 0)).map((e) => e.msgId), ['ga-m3']);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
