import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { bytesEqual } from '@charla/protocol';
import { api, bytes, createGroupWith, newMsgId, newUserDevice, sleep, startTestServer, TestSocket } from './helpers.ts';

test('[DEL-2][DEL-4][DEL-5] offline delivery: backlog after the acked cursor, then synced, then live', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const sent: { seq: number; body: Uint8Array }[] = [];
  for (let i = 0; i < 3; i++) {
    const body = bytes(30);
    const r = await a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, body);
    sent.push({ seq: r.header.seq, body });
  }
  let b = await TestSocket.connect(s.url, bob);
  const synced = b.frames.findIndex((f) => f.header.t === 'synced');
  const backlog = b.frames.slice(0, synced).filter((f) => f.header.t === 'ev');
  assert.deepEqual(backlog.map((f) => f.header.kind), ['welcome', 'app', 'app', 'app']);
  assert.ok(backlog.slice(1).every((f, i) => f.body && bytesEqual(f.body, sent[i]!.body)));
  // Ack up to the second message; the third is not acked and comes again.
  b.sendRaw(JSON.stringify({ t: 'ack', groupId, seq: sent[1]!.seq }));
  assert.equal((await b.request({ t: 'ping' })).header.t, 'ok');
  await b.close();
  b = await TestSocket.connect(s.url, bob);
  assert.deepEqual(b.events(groupId).map((f) => f.header.seq), [sent[2]!.seq]);
  const ack = await b.request({ t: 'ack', groupId, seq: 1_000_000 });
  assert.equal(ack.header.t, 'ok', 'an ack past the end is clamped');
  const live = await a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(10));
  await b.waitFor((f) => f.header.seq === live.header.seq);
  await b.close();
  b = await TestSocket.connect(s.url, bob);
  assert.deepEqual(b.events(groupId).map((f) => f.header.seq), [live.header.seq], 'the clamped ack did not skip the later message');
  assert.equal((await b.request({ t: 'ack', groupId: 'AAAAAAAAAAAAAAAAAAAAAA', seq: 1 })).header.code, 'NOT_A_MEMBER');
  await Promise.all([a.close(), b.close()]);
});

test('[DEL-4] no gaps and no duplicates when messages arrive while the backlog is read', async () => {
  await using s = await startTestServer({ CHARLA_FRAME_BURST: '10000' });
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const before = [];
  for (let i = 0; i < 300; i++) before.push(a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(20)));
  const connecting = TestSocket.connect(s.url, bob);
  const more = [];
  for (let i = 0; i < 300; i++) more.push(a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(20)));
  const b = await connecting;
  const answers = await Promise.all([...before, ...more]);
  assert.ok(answers.every((f) => f.header.t === 'ok'));
  const last = answers.at(-1)!.header.seq as number;
  await b.waitFor((f) => f.header.seq === last);
  const seqs = b.events(groupId).map((f) => f.header.seq as number);
  assert.deepEqual(seqs, Array.from({ length: last - 1 }, (_, i) => i + 2), 'welcome (2) then every message exactly once, in order');
  await Promise.all([a.close(), b.close()]);
});

test('[GRP-5] a removed device gets its removal commit and nothing after', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  let b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const removal = await a.request({ t: 'commit', groupId, epoch, msgId: newMsgId(), add: [], remove: [bob.deviceId], commitBytes: 40 }, bytes(40));
  assert.equal(removal.header.t, 'ok');
  await b.waitFor((f) => f.header.seq === removal.header.seq && f.header.kind === 'commit');
  const after = await a.request({ t: 'send', groupId, epoch: epoch + 1, msgId: newMsgId() }, bytes(10));
  await a.waitFor((f) => f.header.seq === after.header.seq);
  await sleep(50);
  assert.equal(b.events(groupId).filter((f) => f.header.seq > removal.header.seq).length, 0);
  assert.equal((await b.request({ t: 'send', groupId, epoch: epoch + 1, msgId: newMsgId() }, bytes(10))).header.code, 'NOT_A_MEMBER');
  await b.close();
  b = await TestSocket.connect(s.url, bob);
  assert.ok(b.events(groupId).every((f) => f.header.seq <= removal.header.seq), 'nor in a later backlog');
  await Promise.all([a.close(), b.close()]);
});

test('[DEV-3][DEV-6][WS-11] revoking a device closes its sockets, ends its memberships and tells the group', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  await b.waitFor((f) => f.header.kind === 'welcome');
  const r = await api(s.url, 'DELETE', `/v1/devices/${bob.deviceId}`, undefined, bob.token);
  assert.equal(r.status, 204);
  const closed = await b.closed;
  assert.deepEqual(closed, { code: 4403, reason: 'DEVICE_REVOKED' });
  const notice = await a.waitFor((f) => f.header.kind === 'devices');
  assert.equal(notice.header.userId, bob.user.userId);
  assert.equal(notice.header.sender, null);
  const info = await a.request({ t: 'groupInfo', groupId });
  assert.deepEqual(info.header.members.map((m: { deviceId: string }) => m.deviceId), [alice.deviceId]);
  assert.equal((await api(s.url, 'GET', '/v1/devices', undefined, bob.token)).json.code, 'DEVICE_REVOKED');
  // The revoked device is still in the MLS tree: a commit may remove it.
  const rm = await a.request({ t: 'commit', groupId, epoch, msgId: newMsgId(), add: [], remove: [bob.deviceId], commitBytes: 10 }, bytes(10));
  assert.equal(rm.header.t, 'ok');
  const add = await a.request({ t: 'commit', groupId, epoch: epoch + 1, msgId: newMsgId(), add: [bob.deviceId], remove: [], commitBytes: 10 }, bytes(20));
  assert.equal(add.header.code, 'INVALID_MEMBERSHIP');
  assert.equal((await api(s.url, 'DELETE', `/v1/devices/${bob.deviceId}`, undefined, alice.token)).json.code, 'UNKNOWN_DEVICE', 'not a device of this account');
  await a.close();
});

test('[SEND-5] an expiring message is never delivered after expiresAt and is deleted from the database', async () => {
  await using s = await startTestServer({ CHARLA_SWEEP_INTERVAL_MS: '50' });
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const msgId = newMsgId();
  const r = await a.request({ t: 'send', groupId, epoch, msgId, expiresAt: Date.now() + 300 }, bytes(10));
  assert.equal(r.header.t, 'ok');
  await sleep(500);
  const db = new DatabaseSync(join(s.dataDir, 'charla.sqlite'), { readOnly: true });
  const row = db.prepare('SELECT COUNT(*) AS n FROM group_log WHERE msg_id = ?').get(msgId) as { n: number };
  db.close();
  assert.equal(row.n, 0);
  const b = await TestSocket.connect(s.url, bob);
  assert.equal(b.events(groupId).filter((f) => f.header.msgId === msgId).length, 0);
  await Promise.all([a.close(), b.close()]);
});

test('[DEL-5] a restart loses nothing: acked messages stay answered, unacked ones are delivered', async () => {
  const first = await startTestServer({ CHARLA_SERVER_NAME: 'restart.test' });
  const dataDir = first.dataDir;
  const [alice, bob] = await Promise.all([newUserDevice(first.url), newUserDevice(first.url)]);
  const a = await TestSocket.connect(first.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const body = bytes(64);
  const msgId = newMsgId();
  const sent = await a.request({ t: 'send', groupId, epoch, msgId }, body);
  await a.close();
  await first.stop();

  const second = await startTestServer({ CHARLA_SERVER_NAME: 'restart.test' }, dataDir);
  const b = await TestSocket.connect(second.url, bob);
  const got = b.events(groupId).find((f) => f.header.msgId === msgId && f.header.kind === 'app');
  assert.ok(got?.body && bytesEqual(got.body, body));
  const a2 = await TestSocket.connect(second.url, alice);
  const retry = await a2.request({ t: 'send', groupId, epoch, msgId }, body);
  assert.deepEqual({ seq: retry.header.seq, duplicate: retry.header.duplicate }, { seq: sent.header.seq, duplicate: true });
  await Promise.all([a2.close(), b.close()]);
  await second.stop();
  await first[Symbol.asyncDispose]();
});

test('[DEL-7] entries every member device acked are garbage-collected; unacked ones stay', async () => {
  await using s = await startTestServer({ CHARLA_SWEEP_INTERVAL_MS: '50' });
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const sent = [];
  for (let i = 0; i < 4; i++) sent.push((await a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(10))).header.seq as number);
  const count = () => {
    const db = new DatabaseSync(join(s.dataDir, 'charla.sqlite'), { readOnly: true });
    const n = (db.prepare('SELECT COUNT(*) AS n FROM group_log WHERE gno = (SELECT gno FROM groups WHERE group_id = ?)').get(groupId) as { n: number }).n;
    db.close();
    return n;
  };
  assert.equal(count(), 6);
  await a.request({ t: 'ack', groupId, seq: sent[3]! });
  await b.request({ t: 'ack', groupId, seq: sent[1]! });
  // Acks are written within ACK_FLUSH_INTERVAL_MS and swept every 50 ms: wait for both (bounded).
  for (let waited = 0; count() !== 2 && waited < 5_000; waited += 50) await sleep(50);
  assert.equal(count(), 2, 'everything up to the slowest member cursor is gone');
  await b.close();
  const again = await TestSocket.connect(s.url, bob);
  assert.deepEqual(again.events(groupId).map((f) => f.header.seq), sent.slice(2));
  await Promise.all([a.close(), again.close()]);
});
