import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesEqual } from '@charla/protocol';
import { bytes, concat, createGroupWith, newGroupId, newMsgId, newUserDevice, startTestServer, TestSocket } from './helpers.ts';

test('[GRP-1][GRP-2][GRP-4] create, add with a welcome that only the added device receives', async () => {
  await using s = await startTestServer();
  const [alice, bob, carol] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url), newUserDevice(s.url)]);
  const [a, b, c] = await Promise.all([TestSocket.connect(s.url, alice), TestSocket.connect(s.url, bob), TestSocket.connect(s.url, carol)]);
  const groupId = newGroupId();
  const created = (await a.request({ t: 'createGroup', groupId })).header;
  assert.deepEqual({ t: created.t, epoch: created.epoch }, { t: 'ok', epoch: 0 });
  assert.equal((await a.request({ t: 'createGroup', groupId })).header.code, 'GROUP_EXISTS');

  const commit = bytes(64);
  const welcome = bytes(128);
  const msgId = newMsgId();
  const ok = await a.request({ t: 'commit', groupId, epoch: 0, msgId, add: [bob.deviceId], remove: [], commitBytes: 64 }, concat(commit, welcome));
  assert.equal(ok.header.t, 'ok');
  assert.equal(ok.header.seq, 1);
  assert.equal(ok.header.epoch, 1);
  const w = await b.waitFor((f) => f.header.t === 'ev' && f.header.kind === 'welcome');
  assert.equal(w.header.seq, 2);
  assert.equal(w.header.epoch, 1);
  assert.equal(w.header.msgId, msgId);
  assert.ok(w.body && bytesEqual(w.body, welcome), 'the welcome carries exactly the welcome bytes');
  const ce = await a.waitFor((f) => f.header.t === 'ev' && f.header.kind === 'commit');
  assert.ok(ce.body && bytesEqual(ce.body, commit));
  assert.equal(ce.header.epoch, 0);
  assert.equal(ce.header.sender.deviceId, alice.deviceId);

  const info = await b.request({ t: 'groupInfo', groupId });
  assert.deepEqual(info.header.members.map((m: { deviceId: string }) => m.deviceId).sort(), [alice.deviceId, bob.deviceId].sort());
  assert.equal(info.header.lastSeq, 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.events(groupId).filter((f) => f.header.kind === 'welcome').length, 0, 'the committer does not get the welcome');
  assert.equal(b.events(groupId).filter((f) => f.header.kind === 'commit').length, 0, 'the added device does not get the commit');
  assert.equal(c.events().length, 0, 'non-members get nothing');

  // [GRP-5] Another user's group
  assert.equal((await c.request({ t: 'send', groupId, epoch: 1, msgId: newMsgId() }, bytes(10))).header.code, 'NOT_A_MEMBER');
  assert.equal((await c.request({ t: 'groupInfo', groupId })).header.code, 'NOT_A_MEMBER');
  assert.equal((await c.request({ t: 'groupInfo', groupId: newGroupId() })).header.code, 'UNKNOWN_GROUP');
  assert.equal((await a.request({ t: 'send', groupId: newGroupId(), epoch: 0, msgId: newMsgId() }, bytes(10))).header.code, 'UNKNOWN_GROUP');

  // [GRP-2] membership validation and the welcome-iff-add rule
  const bad1 = await a.request({ t: 'commit', groupId, epoch: 1, msgId: newMsgId(), add: [bob.deviceId], remove: [], commitBytes: 10 }, bytes(20));
  assert.equal(bad1.header.code, 'INVALID_MEMBERSHIP');
  const bad2 = await a.request({ t: 'commit', groupId, epoch: 1, msgId: newMsgId(), add: [], remove: [carol.deviceId], commitBytes: 10 }, bytes(10));
  assert.equal(bad2.header.code, 'INVALID_MEMBERSHIP');
  const bad3 = await a.request({ t: 'commit', groupId, epoch: 1, msgId: newMsgId(), add: [carol.deviceId], remove: [], commitBytes: 10 }, bytes(10));
  assert.equal(bad3.header.code, 'BAD_REQUEST', 'an add without a welcome');
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('[GRP-3] only one of two concurrent commits for an epoch wins; the loser learns the epoch', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const b = await TestSocket.connect(s.url, bob);
  const { groupId } = await createGroupWith(a, [bob]);
  await b.waitFor((f) => f.header.kind === 'welcome');
  const [ra, rb] = await Promise.all([
    a.request({ t: 'commit', groupId, epoch: 1, msgId: newMsgId(), add: [], remove: [], commitBytes: 30 }, bytes(30)),
    b.request({ t: 'commit', groupId, epoch: 1, msgId: newMsgId(), add: [], remove: [], commitBytes: 30 }, bytes(30)),
  ]);
  const results = [ra.header, rb.header];
  assert.equal(results.filter((h) => h.t === 'ok').length, 1);
  const loser = results.find((h) => h.t === 'err');
  assert.equal(loser.code, 'EPOCH_CONFLICT');
  assert.equal(loser.epoch, 2);
  const stale = await a.request({ t: 'send', groupId, epoch: 1, msgId: newMsgId() }, bytes(10));
  assert.equal(stale.header.code, 'EPOCH_CONFLICT');
  assert.equal(stale.header.epoch, 2);
  await Promise.all([a.close(), b.close()]);
});

test('[SEND-1][SEND-3][SEND-7][DEL-6] send reaches every member device, the sender too, after its ok; msgId is idempotent', async () => {
  await using s = await startTestServer({ CHARLA_MAX_MESSAGE_BYTES: '1000', CHARLA_MAX_FRAME_BYTES: '4096' });
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const body = bytes(500);
  const msgId = newMsgId();
  const sent = await a.request({ t: 'send', groupId, epoch, msgId }, body);
  assert.deepEqual({ seq: sent.header.seq, duplicate: sent.header.duplicate }, { seq: 3, duplicate: false });
  const okIndex = a.frames.indexOf(sent);
  const own = await a.waitFor((f) => f.header.t === 'ev' && f.header.msgId === msgId && f.header.kind === 'app');
  assert.ok(a.frames.indexOf(own) > okIndex, 'the sender gets its ok before the event of its message');
  const got = await b.waitFor((f) => f.header.t === 'ev' && f.header.msgId === msgId);
  assert.ok(got.body && bytesEqual(got.body, body));
  assert.equal(got.header.sender.userId, alice.user.userId);

  // The epoch moves on; a retry of the same message still gets its original seq.
  await a.request({ t: 'commit', groupId, epoch, msgId: newMsgId(), add: [], remove: [], commitBytes: 20 }, bytes(20));
  const retry = await a.request({ t: 'send', groupId, epoch, msgId }, body);
  assert.deepEqual({ t: retry.header.t, seq: retry.header.seq, duplicate: retry.header.duplicate }, { t: 'ok', seq: 3, duplicate: true });
  const reused = await a.request({ t: 'send', groupId, epoch: epoch + 1, msgId }, bytes(500));
  assert.equal(reused.header.code, 'MESSAGE_ID_REUSED');
  const big = await a.request({ t: 'send', groupId, epoch: epoch + 1, msgId: newMsgId() }, bytes(1001));
  assert.equal(big.header.code, 'MESSAGE_TOO_LARGE');
  const empty = await a.request({ t: 'send', groupId, epoch: epoch + 1, msgId: newMsgId() });
  assert.equal(empty.header.code, 'BAD_REQUEST');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.events(groupId).filter((f) => f.header.msgId === msgId && f.header.kind === 'app').length, 1, 'stored once, delivered once');
  await Promise.all([a.close(), b.close()]);
});

test('[SEND-4] ephemeral messages reach connected members only and are never stored', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  let b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  await b.waitFor((f) => f.header.kind === 'welcome');
  const r = await a.request({ t: 'send', groupId, epoch, msgId: newMsgId(), ephemeral: true }, bytes(5));
  assert.deepEqual({ seq: r.header.seq, duplicate: r.header.duplicate }, { seq: 0, duplicate: false });
  const ev = await b.waitFor((f) => f.header.ephemeral === true);
  assert.equal(ev.header.seq, 0);
  await b.close();
  await a.request({ t: 'send', groupId, epoch, msgId: newMsgId(), ephemeral: true }, bytes(5));
  b = await TestSocket.connect(s.url, bob);
  assert.equal(b.events().filter((f) => f.header.ephemeral).length, 0, 'nothing ephemeral in the backlog');
  assert.equal((await a.request({ t: 'groupInfo', groupId })).header.lastSeq, 2, 'ephemeral messages take no seq');
  await Promise.all([a.close(), b.close()]);
});

test('[SEND-6] only the sending account redacts; the body is gone for later readers', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  let b = await TestSocket.connect(s.url, bob);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  await b.close();
  const msgId = newMsgId();
  await a.request({ t: 'send', groupId, epoch, msgId }, bytes(40));
  b = await TestSocket.connect(s.url, bob);
  assert.equal((await b.request({ t: 'redact', groupId, msgId })).header.code, 'FORBIDDEN');
  await b.close();
  const r = await a.request({ t: 'redact', groupId, msgId });
  assert.equal(r.header.t, 'ok');
  assert.equal(r.header.duplicate, false);
  const again = await a.request({ t: 'redact', groupId, msgId });
  assert.deepEqual({ seq: again.header.seq, duplicate: again.header.duplicate }, { seq: r.header.seq, duplicate: true });
  assert.equal((await a.request({ t: 'redact', groupId, msgId: newMsgId() })).header.code, 'NOT_FOUND');
  b = await TestSocket.connect(s.url, bob);
  const evs = b.events(groupId);
  assert.equal(evs.filter((f) => f.header.msgId === msgId).length, 0, 'the redacted message is not delivered any more');
  const red = evs.find((f) => f.header.kind === 'redact');
  assert.equal(red?.header.target, msgId);
  assert.equal(red?.body, null);
  await Promise.all([a.close(), b.close()]);
});
