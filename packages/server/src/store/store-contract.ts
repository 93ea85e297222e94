import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { randomId } from '@charla/protocol';
import type { Store } from './store.ts';
import type { DeviceRef, RoomRecord } from './types.ts';

type TestFn = (name: string, fn: () => Promise<void>) => unknown;

/**
 * The behaviour every Store implementation must show, run against a fresh store per case. The
 * SQLite store runs it in sqlite-store.test.ts; a PostgreSQL store runs the same function.
 */
export function storeContract(test: TestFn, makeStore: () => Promise<{ store: Store; dispose(): Promise<void> }>): void {
  const hash = (b: Uint8Array) => createHash('sha256').update(b).digest();
  const kdf = { alg: 'scrypt' as const, salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 };

  async function device(store: Store, username = `u${randomBytes(4).toString('hex')}`): Promise<DeviceRef> {
    if (!(await store.getAccount(username))) {
      await store.createAccount({ username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 1 }, null);
    }
    const deviceId = randomId(16);
    await store.createDeviceAndSession(
      { deviceId, username, name: 'd', signatureKey: null, credentialSignature: null, createdAt: 1, activatedAt: null, revokedAt: null, lastSeenAt: null },
      { tokenHash: randomBytes(32), deviceId, username, createdAt: 1, expiresAt: 2 },
    );
    await store.activateDevice(deviceId, 'sig', 'cred', 1);
    return { username, deviceId };
  }

  const run = (name: string, fn: (store: Store) => Promise<void>) =>
    test(`[store] ${name}`, async () => {
      const { store, dispose } = await makeStore();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    });

  const msg = (groupId: string, sender: DeviceRef, epoch: number, body = randomBytes(8), msgId = randomId(12), expiresAt: number | null = null) =>
    ({ groupId, sender, epoch, msgId, body, expiresAt, ts: Date.now() });

  run('[DEL-1] seqs grow by one per group, independently', async (store) => {
    const d = await device(store);
    const [g1, g2] = [randomId(16), randomId(16)];
    assert.equal(await store.createGroup(g1, d, 1), 'ok');
    assert.equal(await store.createGroup(g1, d, 1), 'GROUP_EXISTS');
    await store.createGroup(g2, d, 1);
    const seqs = [];
    for (const g of [g1, g1, g2, g1]) {
      const r = await store.appendMessage(msg(g, d, 0));
      assert.ok(r.error === undefined && !r.duplicate);
      seqs.push(r.entry.seq);
    }
    assert.deepEqual(seqs, [1, 2, 1, 3]);
  });

  run('[SEND-3] idempotency comes before the epoch check', async (store) => {
    const d = await device(store);
    const g = randomId(16);
    await store.createGroup(g, d, 1);
    const m = msg(g, d, 0);
    await store.appendMessage(m);
    await store.applyCommit({ groupId: g, sender: d, epoch: 0, msgId: randomId(12), commit: randomBytes(4), welcome: null, bodyHash: randomBytes(32), add: [], remove: [], maxGroupDevices: 10, ts: 1 });
    assert.deepEqual(await store.appendMessage(m), { duplicate: true, seq: 1 });
    assert.deepEqual(await store.appendMessage({ ...m, body: randomBytes(8) }), { error: 'MESSAGE_ID_REUSED' });
    assert.deepEqual(await store.appendMessage(msg(g, d, 0)), { error: 'EPOCH_CONFLICT', epoch: 1 });
  });

  run('[GRP-3][GRP-4][GRP-5] a commit is atomic: conflict changes nothing; success moves epoch, welcome and memberships together', async (store) => {
    const [a, b] = [await device(store), await device(store)];
    const g = randomId(16);
    await store.createGroup(g, a, 1);
    const commit = { groupId: g, sender: a, epoch: 0, msgId: randomId(12), commit: randomBytes(4), welcome: randomBytes(4), bodyHash: randomBytes(32), add: [b.deviceId], remove: [], maxGroupDevices: 10, ts: 1 };
    assert.deepEqual(await store.applyCommit({ ...commit, epoch: 3 }), { error: 'EPOCH_CONFLICT', epoch: 0 });
    assert.deepEqual(await store.getGroupInfo(g, a.deviceId), { epoch: 0, lastSeq: 0, members: [a] });
    const r = await store.applyCommit(commit);
    assert.ok(r.error === undefined && !r.duplicate);
    assert.equal(r.commit.seq, 1);
    assert.deepEqual(r.welcome?.recipients, [b.deviceId]);
    assert.deepEqual(await store.listCursors(b.deviceId), [{ groupId: g, fromSeq: 2, toSeq: null, ackedSeq: 1 }]);
    const rm = await store.applyCommit({ ...commit, epoch: 1, msgId: randomId(12), welcome: null, add: [], remove: [b.deviceId] });
    assert.ok(rm.error === undefined && !rm.duplicate);
    assert.deepEqual(await store.listCursors(b.deviceId), [{ groupId: g, fromSeq: 2, toSeq: 3, ackedSeq: 1 }]);
    assert.deepEqual(await store.applyCommit({ ...commit, epoch: 2, msgId: randomId(12), welcome: null, add: [], remove: [b.deviceId] }), { error: 'INVALID_MEMBERSHIP', message: `device ${b.deviceId} is not a member` });
  });

  run('[GRP-4][SEND-1] what a send was checked against moves at once: removal, a new epoch, an added member, a revoked device', async (store) => {
    const [a, b, c] = [await device(store), await device(store), await device(store)];
    const g = randomId(16);
    await store.createGroup(g, a, 1);
    const commit = { groupId: g, sender: a, commit: randomBytes(4), welcome: null, bodyHash: randomBytes(32), remove: [] as string[], add: [] as string[], maxGroupDevices: 10, ts: 1 };
    const added = await store.applyCommit({ ...commit, epoch: 0, msgId: randomId(12), welcome: randomBytes(4), add: [b.deviceId] });
    assert.ok(added.error === undefined && !added.duplicate);
    // Sends by both members (and one by an outsider) before anything changes.
    const before = await store.appendMessages([msg(g, a, 1), msg(g, b, 1), msg(g, c, 1)]);
    assert.deepEqual(before.map((o) => o.error ?? 'ok'), ['ok', 'ok', 'NOT_A_MEMBER']);
    // b is removed: its next send is refused, and a's old epoch is a conflict.
    const removed = await store.applyCommit({ ...commit, epoch: 1, msgId: randomId(12), remove: [b.deviceId] });
    assert.ok(removed.error === undefined && !removed.duplicate);
    assert.deepEqual(await store.appendMessage(msg(g, b, 2)), { error: 'NOT_A_MEMBER' });
    assert.deepEqual(await store.appendMessage(msg(g, a, 1)), { error: 'EPOCH_CONFLICT', epoch: 2 });
    // c is added: its sends go in, after the commit and welcome in seq order.
    const withC = await store.applyCommit({ ...commit, epoch: 2, msgId: randomId(12), welcome: randomBytes(4), add: [c.deviceId] });
    assert.ok(withC.error === undefined && !withC.duplicate);
    const fromC = await store.appendMessage(msg(g, c, 3));
    assert.ok(fromC.error === undefined && !fromC.duplicate);
    assert.equal(fromC.entry.seq, withC.welcome!.seq + 1);
    // a revokes c's device: refused from then on.
    await store.revokeDevice(c.username, c.deviceId, 5);
    assert.deepEqual(await store.appendMessage(msg(g, c, 3)), { error: 'NOT_A_MEMBER' });
  });

  run('[KP-5] concurrent claims never return the same one-time package', async (store) => {
    const d = await device(store);
    await store.addKeyPackages(d.deviceId, Array.from({ length: 10 }, (_, i) => `kp${i}`), 'last', 100);
    const claims = await Promise.all(Array.from({ length: 15 }, () => store.claimKeyPackages([d.deviceId])));
    const got = claims.map((c) => c.get(d.deviceId)!);
    assert.equal(new Set(got.filter((k) => !k.lastResort).map((k) => k.keyPackage)).size, 10);
    assert.equal(got.filter((k) => k.lastResort).length, 5);
  });

  run('[LINK-1][LINK-3][LINK-4] a device link is joined once, relays messages in order, and expires', async (store) => {
    const creator = await device(store);
    const linkId = 'ABCDEFGH';
    assert.equal(await store.createDeviceLink({ linkId, username: creator.username, creatorDevice: creator.deviceId, joinerDevice: null, createdAt: 10, expiresAt: 1000 }), 'ok');
    assert.equal(await store.createDeviceLink({ linkId, username: creator.username, creatorDevice: creator.deviceId, joinerDevice: null, createdAt: 10, expiresAt: 1000 }), 'EXISTS');
    const joiner = (id: string) => ({ deviceId: id, username: 'ignored', name: 'new', signatureKey: null, credentialSignature: null, createdAt: 20, activatedAt: null, revokedAt: null, lastSeenAt: null });
    const session = (id: string) => ({ tokenHash: randomBytes(32), deviceId: id, username: 'ignored', createdAt: 20, expiresAt: 5000 });
    const first = randomId(16);
    const second = randomId(16);
    const joins = await Promise.all([store.joinDeviceLink(linkId, joiner(first), session(first), 20), store.joinDeviceLink(linkId, joiner(second), session(second), 20)]);
    assert.deepEqual([...joins].sort(), ['LINK_USED', 'ok'], 'two joins: exactly one wins');
    const link = await store.getDeviceLink(linkId, 30);
    const winner = joins[0] === 'ok' ? first : second;
    assert.equal(link?.joinerDevice, winner);
    const joined = await store.getDevice(winner);
    assert.equal(joined?.username, creator.username, 'the new device belongs to the linking account');
    assert.equal(joined?.activatedAt, null, 'and is not active until it publishes a signed credential');
    assert.equal(await store.getDevice(joins[0] === 'ok' ? second : first), undefined, 'the loser left nothing behind');
    assert.equal(await store.appendLinkMessage(linkId, 'joiner', 'hello', 40), 1);
    assert.equal(await store.appendLinkMessage(linkId, 'creator', 'welcome', 50), 2);
    assert.deepEqual(await store.readLinkMessages(linkId), [
      { seq: 1, from: 'joiner', payload: 'hello' },
      { seq: 2, from: 'creator', payload: 'welcome' },
    ]);
    assert.equal(await store.joinDeviceLink('ZZZZZZZZ', joiner(randomId(16)), session(randomId(16)), 20), 'UNKNOWN_LINK');
    assert.equal(await store.getDeviceLink(linkId, 1000), undefined, 'expired at expiresAt');
    assert.equal(await store.deleteExpiredLinks(1000), 1);
    assert.deepEqual(await store.readLinkMessages(linkId), []);
  });

  run('[DEL-2][SEND-5][DEL-7] acks clamp, expired entries are not read, acked ones are collected', async (store) => {
    const d = await device(store);
    const g = randomId(16);
    await store.createGroup(g, d, 1);
    await store.appendMessage(msg(g, d, 0));
    await store.appendMessage(msg(g, d, 0, randomBytes(8), randomId(12), Date.now() - 1));
    await store.appendMessage(msg(g, d, 0));
    assert.deepEqual((await store.readLog(g, 0, null, 10, Date.now())).map((e) => e.seq), [1, 3]);
    assert.equal(await store.deleteExpiredMessages(Date.now()), 1);
    assert.equal(await store.ack(g, d.deviceId, 99), true);
    assert.deepEqual(await store.listCursors(d.deviceId), [{ groupId: g, fromSeq: 1, toSeq: null, ackedSeq: 3 }]);
    assert.equal(await store.ack(g, randomId(16), 1), false);
    assert.equal(await store.collectGarbage(0), 2);
    assert.deepEqual(await store.readLog(g, 0, null, 10, Date.now()), []);
  });

  run('[DEL-7] retention: entries older than the cutoff go, in every group, acked or not; newer ones stay', async (store) => {
    const d = await device(store);
    const [g1, g2] = [randomId(16), randomId(16)];
    await store.createGroup(g1, d, 1);
    await store.createGroup(g2, d, 1);
    const at = (g: string, ts: number) => store.appendMessage({ ...msg(g, d, 0), ts });
    for (const ts of [100, 200, 300, 400]) await at(g1, ts);
    for (const ts of [150, 500]) await at(g2, ts);
    // Nothing is acked (acked_seq 0): only age removes entries.
    assert.equal(await store.collectGarbage(250), 3);
    assert.deepEqual((await store.readLog(g1, 0, null, 10, 0)).map((e) => [e.seq, e.ts]), [[3, 300], [4, 400]]);
    assert.deepEqual((await store.readLog(g2, 0, null, 10, 0)).map((e) => [e.seq, e.ts]), [[2, 500]]);
    // A group whose every entry is old is emptied; seqs go on after the cut.
    assert.equal(await store.collectGarbage(1_000), 3);
    assert.deepEqual(await store.readLog(g1, 0, null, 10, 0), []);
    const next = await at(g1, 1_100);
    assert.ok(next.error === undefined && !next.duplicate);
    assert.equal(next.entry.seq, 5);
  });

  run('[AUTH-4] a username is taken once; an invite token is consumed once, and a refused account leaves nothing', async (store) => {
    const account = (username: string) => ({ username, authHash: randomBytes(32), authSalt: randomBytes(16), authParams: { memoryKib: 64, passes: 2, parallelism: 1 }, kdf, accountPublicKey: 'k', encryptedAccountKey: 'e', createdAt: 5 });
    const token = randomBytes(32);
    await store.createInviteToken(token, 'admin', 1);
    const [a, b] = [`a${randomBytes(4).toString('hex')}`, `b${randomBytes(4).toString('hex')}`];
    assert.equal(await store.createAccount(account(a), token), 'ok');
    assert.equal(await store.createAccount(account(a), null), 'USERNAME_TAKEN');
    assert.equal(await store.createAccount(account(b), token), 'INVALID_INVITE_TOKEN');
    assert.equal(await store.getAccount(b), undefined);
    const got = await store.getAccount(a);
    assert.deepEqual({ ...got, authHash: undefined, authSalt: undefined }, { ...account(a), authHash: undefined, authSalt: undefined });
  });

  run('[AUTH-8] sessions join their device, and are deleted one by one or when expired', async (store) => {
    const d = await device(store);
    const tokenHash = randomBytes(32);
    await store.createDeviceAndSession(
      { deviceId: randomId(16), username: d.username, name: 'second', signatureKey: null, credentialSignature: null, createdAt: 3, activatedAt: null, revokedAt: null, lastSeenAt: 3 },
      { tokenHash, deviceId: d.deviceId, username: d.username, createdAt: 3, expiresAt: 100 },
    );
    const s = await store.getSession(tokenHash);
    assert.equal(s?.device.deviceId, d.deviceId);
    assert.equal(s?.session.expiresAt, 100);
    assert.equal(await store.deleteExpiredSessions(99), 1, 'the contract helper made one session expiring at 2');
    assert.ok(await store.getSession(tokenHash));
    await store.deleteSession(tokenHash);
    assert.equal(await store.getSession(tokenHash), undefined);
  });

  run('[DEV-3][DEV-6][KP-6] activation and revocation write a devices event into the account\'s groups; revocation ends memberships and key packages', async (store) => {
    const [a, b] = [await device(store), await device(store)];
    const g = randomId(16);
    await store.createGroup(g, a, 1);
    await store.applyCommit({ groupId: g, sender: a, epoch: 0, msgId: randomId(12), commit: randomBytes(4), welcome: randomBytes(4), bodyHash: randomBytes(32), add: [b.deviceId], remove: [], maxGroupDevices: 10, ts: 1 });
    const b2 = randomId(16);
    await store.createDeviceAndSession(
      { deviceId: b2, username: b.username, name: 'd2', signatureKey: null, credentialSignature: null, createdAt: 2, activatedAt: null, revokedAt: null, lastSeenAt: null },
      { tokenHash: randomBytes(32), deviceId: b2, username: b.username, createdAt: 2, expiresAt: 9e12 },
    );
    const activated = await store.activateDevice(b2, 'sig2', 'cred2', 7);
    assert.deepEqual(activated.map((e) => [e.groupId, e.seq, e.kind, e.subjectUsername]), [[g, 3, 'devices', b.username]]);
    assert.deepEqual(await store.activateDevice(b2, 'sig2', 'cred2', 8), [], 'activation happens once');
    assert.deepEqual((await store.listActiveDevices(b.username)).map((d) => d.deviceId).sort(), [b.deviceId, b2].sort());
    await store.addKeyPackages(b.deviceId, ['kp'], 'lr', 10);
    assert.equal(await store.revokeDevice(a.username, b.deviceId, 9), 'UNKNOWN_DEVICE', "another account's device");
    const revoked = await store.revokeDevice(b.username, b.deviceId, 9);
    assert.ok(Array.isArray(revoked));
    assert.deepEqual(revoked.map((e) => [e.groupId, e.seq, e.kind]), [[g, 4, 'devices']]);
    assert.deepEqual(await store.listCursors(b.deviceId), []);
    assert.deepEqual(await store.countKeyPackages(b.deviceId), { count: 0, hasLastResort: false });
    assert.equal((await store.getDevice(b.deviceId))?.revokedAt, 9);
    assert.deepEqual((await store.getGroupInfo(g, a.deviceId)), { epoch: 1, lastSeq: 4, members: [a] });
    assert.equal(await store.revokeDevice(b.username, b.deviceId, 10), 'UNKNOWN_DEVICE', 'revocation happens once');
  });

  run('[KP-1][KP-2][KP-4] the one-time pool is bounded; a new last-resort package replaces the old one', async (store) => {
    const d = await device(store);
    assert.deepEqual(await store.addKeyPackages(d.deviceId, ['a', 'b'], 'lr1', 3), { count: 2, hasLastResort: true });
    assert.equal(await store.addKeyPackages(d.deviceId, ['c', 'd'], null, 3), 'POOL_FULL');
    assert.deepEqual(await store.addKeyPackages(d.deviceId, [], 'lr2', 3), { count: 2, hasLastResort: true });
    const claims = [];
    for (let i = 0; i < 3; i++) claims.push((await store.claimKeyPackages([d.deviceId, randomId(16)])).get(d.deviceId));
    assert.deepEqual(claims.map((c) => [c?.keyPackage, c?.lastResort]), [['a', false], ['b', false], ['lr2', true]], 'oldest first, then the newest last resort');
  });

  run('[SEND-6] only the sending account redacts; the body is gone from the log; again is a duplicate', async (store) => {
    const [a, b] = [await device(store), await device(store)];
    const g = randomId(16);
    await store.createGroup(g, a, 1);
    await store.applyCommit({ groupId: g, sender: a, epoch: 0, msgId: randomId(12), commit: randomBytes(4), welcome: randomBytes(4), bodyHash: randomBytes(32), add: [b.deviceId], remove: [], maxGroupDevices: 10, ts: 1 });
    const m = msg(g, a, 1);
    const sentMsg = await store.appendMessage(m);
    assert.ok(sentMsg.error === undefined && !sentMsg.duplicate);
    assert.deepEqual(await store.redact(g, b, m.msgId, 2), { error: 'FORBIDDEN' });
    assert.deepEqual(await store.redact(g, a, randomId(12), 2), { error: 'NOT_FOUND' });
    const r = await store.redact(g, a, m.msgId, 2);
    assert.ok(r.error === undefined && !r.duplicate && r.entry);
    assert.equal(r.entry.kind, 'redact');
    assert.equal(r.entry.target, m.msgId);
    assert.deepEqual(await store.redact(g, a, m.msgId, 3), { duplicate: true, seq: r.seq, entry: null });
    assert.deepEqual((await store.readLog(g, 0, null, 10, Date.now())).map((e) => e.kind), ['commit', 'welcome', 'redact']);
    assert.deepEqual(await store.appendMessage(m), { duplicate: true, seq: sentMsg.entry.seq }, 'the id stays taken');
    // With the body gone, a retry is still told apart from a reuse of the id.
    assert.deepEqual(await store.appendMessage({ ...m, body: Buffer.concat([m.body, Buffer.from([0])]) }), { error: 'MESSAGE_ID_REUSED' });
    // A commit may not take a message's id either, whatever its bytes.
    const taken = await store.applyCommit({ groupId: g, sender: a, epoch: 1, msgId: m.msgId, commit: randomBytes(4), welcome: null, bodyHash: randomBytes(32), add: [], remove: [], maxGroupDevices: 10, ts: 4 });
    assert.deepEqual(taken, { error: 'MESSAGE_ID_REUSED' });
  });

  run('[SEND-2][SEND-3][DEL-1] appendMessages: one outcome per input, as if appended one by one in input order', async (store) => {
    const [a, b, outsider] = [await device(store), await device(store), await device(store)];
    const [g1, g2] = [randomId(16), randomId(16)];
    await store.createGroup(g1, a, 1);
    await store.createGroup(g2, a, 1);
    await store.applyCommit({ groupId: g2, sender: a, epoch: 0, msgId: randomId(12), commit: randomBytes(4), welcome: randomBytes(4), bodyHash: randomBytes(32), add: [b.deviceId], remove: [], maxGroupDevices: 10, ts: 1 });
    const stored = msg(g1, a, 0);
    assert.ok((await store.appendMessage(stored)).error === undefined);
    const first = msg(g2, b, 1);
    const batch = [
      msg(g1, a, 0), // g1 seq 2
      first, // g2 seq 3 (after commit and welcome)
      msg(g1, outsider, 0), // not a member
      msg(randomId(16), a, 0), // no such group
      msg(g2, a, 0), // old epoch
      { ...first }, // same msgId and body inside the batch: a duplicate of `first`
      { ...first, body: randomBytes(8) }, // same msgId, other body
      { ...stored }, // duplicate across batches, checked before the epoch
      { ...stored, epoch: 7, body: randomBytes(8) },
      msg(g1, a, 0), // g1 seq 3: the failures above took no seq
      msg(g2, a, 1), // g2 seq 4
    ];
    const out = await store.appendMessages(batch);
    assert.equal(out.length, batch.length);
    const summary = out.map((o) => (o.error !== undefined ? o.error : o.duplicate ? `dup ${o.seq}` : `${o.entry.groupId === g1 ? 'g1' : 'g2'} ${o.entry.seq}`));
    assert.deepEqual(summary, ['g1 2', 'g2 3', 'NOT_A_MEMBER', 'UNKNOWN_GROUP', 'EPOCH_CONFLICT', 'dup 3', 'MESSAGE_ID_REUSED', 'dup 1', 'MESSAGE_ID_REUSED', 'g1 3', 'g2 4']);
    assert.deepEqual(out[4], { error: 'EPOCH_CONFLICT', epoch: 1 });
    const accepted = out.flatMap((o) => (o.error === undefined && !o.duplicate ? [o.entry] : []));
    assert.deepEqual(accepted.map((e) => [e.msgId, e.sender, e.epoch]), [[batch[0]!.msgId, a, 0], [first.msgId, b, 1], [batch[9]!.msgId, a, 0], [batch[10]!.msgId, a, 1]]);
    assert.deepEqual((await store.readLog(g1, 0, null, 10, Date.now())).map((e) => [e.seq, e.msgId, Buffer.from(e.body!).toString('hex')]),
      [stored, batch[0]!, batch[9]!].map((m, i) => [i + 1, m.msgId, m.body.toString('hex')]));
    assert.deepEqual(await store.getGroupInfo(g2, a.deviceId).then((i) => ('lastSeq' in i ? i.lastSeq : i)), 4);
    // The next batch continues the seqs and sees the previous one's msgIds.
    assert.deepEqual(await store.appendMessages([{ ...first }, msg(g2, b, 1)]).then((o) => o.map((x) => (x.error === undefined && !x.duplicate ? x.entry.seq : x))), [{ duplicate: true, seq: 3 }, 5]);
    assert.deepEqual(await store.appendMessages([]), []);
  });

  run('[DEL-1] appendMessages keeps input order within each group over many messages', async (store) => {
    const d = await device(store);
    const groups = [randomId(16), randomId(16), randomId(16)];
    for (const g of groups) await store.createGroup(g, d, 1);
    const batch = Array.from({ length: 60 }, (_, i) => msg(groups[i % 3]!, d, 0));
    const out = await store.appendMessages(batch);
    for (const g of groups) {
      const mine = batch.flatMap((m, i) => (m.groupId === g ? [out[i]!] : []));
      assert.deepEqual(mine.map((o) => (o.error === undefined && !o.duplicate ? o.entry.seq : -1)), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.deepEqual((await store.readLog(g, 0, null, 100, Date.now())).map((e) => e.msgId), batch.filter((m) => m.groupId === g).map((m) => m.msgId));
    }
  });

  run('[DEL-2] saveAcks writes buffered acks like ack (cumulative, clamped, never backwards) and last-seen times forward', async (store) => {
    const [a, b] = [await device(store), await device(store)];
    const [g1, g2] = [randomId(16), randomId(16)];
    await store.createGroup(g1, a, 1);
    await store.createGroup(g2, b, 1);
    for (const g of [g1, g1, g1, g2]) await store.appendMessage(msg(g, g === g1 ? a : b, 0));
    await store.saveAcks([{ groupId: g1, deviceId: a.deviceId, seq: 2 }, { groupId: g2, deviceId: b.deviceId, seq: 99 }, { groupId: g2, deviceId: a.deviceId, seq: 1 }], [{ deviceId: a.deviceId, ts: 500 }]);
    assert.deepEqual(await store.listCursors(a.deviceId), [{ groupId: g1, fromSeq: 1, toSeq: null, ackedSeq: 2 }], 'not a member of g2: skipped');
    assert.deepEqual(await store.listCursors(b.deviceId), [{ groupId: g2, fromSeq: 1, toSeq: null, ackedSeq: 1 }], 'clamped to the last seq');
    await store.saveAcks([{ groupId: g1, deviceId: a.deviceId, seq: 1 }], [{ deviceId: a.deviceId, ts: 400 }]);
    assert.equal((await store.listCursors(a.deviceId))[0]?.ackedSeq, 2, 'never backwards');
    assert.equal((await store.getDevice(a.deviceId))?.lastSeenAt, 500, 'last seen never backwards');
    await store.saveAcks([], []);
  });
  run('[ROOM-2] rooms: created once, read until they expire, expiry only moves forward, swept after', async (store) => {
    const d = await device(store);
    const room = { roomId: randomId(16), accessKeyHash: hash(randomBytes(32)), hostTokenHash: hash(randomBytes(32)), createdBy: d.deviceId, createdAt: 100, expiresAt: 1000, lobby: true };
    assert.equal(await store.createRoom(room), 'ok');
    assert.equal(await store.createRoom({ ...room, lobby: false }), 'EXISTS');
    // The drivers hand binary columns back as Uint8Array (SQLite) or Buffer (pg): compare as hex.
    const plain = (r: RoomRecord | undefined) => r && { ...r, accessKeyHash: Buffer.from(r.accessKeyHash).toString('hex'), hostTokenHash: Buffer.from(r.hostTokenHash).toString('hex') };
    assert.deepEqual(plain(await store.getRoom(room.roomId, 999)), plain(room));
    assert.equal(await store.getRoom(room.roomId, 1000), undefined, 'expired');
    assert.equal(await store.getRoom(randomId(16), 0), undefined);
    await store.touchRoom(room.roomId, 5000);
    await store.touchRoom(room.roomId, 2000);
    assert.equal((await store.getRoom(room.roomId, 1000))?.expiresAt, 5000, 'never backwards');
    const other = { ...room, roomId: randomId(16), lobby: false, expiresAt: 3000 };
    await store.createRoom(other);
    assert.equal((await store.getRoom(other.roomId, 0))?.lobby, false);
    assert.equal(await store.deleteExpiredRooms(4000), 1);
    assert.equal(await store.getRoom(other.roomId, 0), undefined);
    assert.equal((await store.getRoom(room.roomId, 4000))?.roomId, room.roomId);
  });
}
