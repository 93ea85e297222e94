import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMlsMessage } from 'ts-mls';
import { newAccount, newDevice, pinning, KeyStore } from '../test/fixtures.ts';
import { commit, makeGroup, send } from '../test/group-harness.ts';
import { CryptoError, WrongEpochError } from './errors.ts';
import { commitChanges, joinFromWelcome } from './mls-group.ts';
import { encryptMessage, processMessage } from './mls-message.ts';
import { decodeGroupState, encodeGroupState, exportSecret, groupEpoch, groupId, groupMembers, ownIdentity } from './mls-state.ts';
import { createGroup } from './mls-group.ts';

const ana = newAccount('ana');
const bob = newAccount('bob');
const cat = newAccount('cat');
const verify = pinning(ana, bob, cat);
const utf8 = (s: string) => new TextEncoder().encode(s);

test('createGroup: epoch 0, the creator alone, with the given group id', async () => {
  const device = await newDevice(ana);
  const id = crypto.getRandomValues(new Uint8Array(16));
  const state = await createGroup(id, device);
  assert.equal(groupEpoch(state), 0);
  assert.deepEqual(groupId(state), id);
  assert.deepEqual(groupMembers(state).map((m) => m.device), [device.deviceId]);
  assert.equal(ownIdentity(state).user, ana.userId);
});

test('two devices of different accounts exchange messages both ways; the commit is a PrivateMessage', async () => {
  const a = await newDevice(ana);
  const b = await newDevice(bob);
  const creator = { device: a, store: new KeyStore(), state: await createGroup(utf8('group-two'), a) };
  const store = new KeyStore();
  const [kp] = await store.generate(b);
  const out = await commitChanges(creator.state, { add: [kp!.publicBytes] }, verify);
  assert.equal(decodeMlsMessage(out.commit, 0)?.[0].wireformat, 'mls_private_message');
  assert.ok(out.welcome);
  const joined = await joinFromWelcome(out.welcome, store.find, verify);
  assert.equal(joined.keyPackageRef, kp!.ref);
  const A = { ...creator, state: out.newState };
  const B = { device: b, store, state: joined.state };
  assert.equal(groupEpoch(A.state), 1);
  assert.equal(groupEpoch(B.state), 1);
  assert.deepEqual(groupMembers(B.state).map((m) => m.user), [ana.userId, bob.userId]);
  assert.equal(ownIdentity(B.state).device, b.deviceId);
  await send(A, [B], 'hello bob', verify);
  await send(B, [A], 'hi ana', verify);
  await send(A, [B], 'second in a row', verify);
  await send(A, [B], 'third in a row', verify);
});

test('three devices (two of one account) share a group, and state survives encode/decode mid-conversation', async () => {
  const [A1, A2, B] = await makeGroup(await newDevice(ana), [await newDevice(ana), await newDevice(bob)], verify);
  assert.deepEqual(groupMembers(A2!.state).map((m) => m.user), [ana.userId, ana.userId, bob.userId]);
  await send(A1!, [A2!, B!], 'from ana phone', verify);
  await send(B!, [A1!, A2!], 'from bob', verify);
  for (const m of [A1!, A2!, B!]) m.state = decodeGroupState(encodeGroupState(m.state));
  await send(A2!, [A1!, B!], 'from ana laptop, after a restart', verify);
  await commit(B!, [A1!, A2!], {}, verify);
  for (const m of [A1!, A2!, B!]) m.state = decodeGroupState(encodeGroupState(m.state));
  assert.equal(groupEpoch(A1!.state), 2);
  await send(A1!, [A2!, B!], 'after key rotation and restart', verify);
});

test('a removed member cannot decrypt later messages; the others see who was removed', async () => {
  const [A, B, C] = await makeGroup(await newDevice(ana), [await newDevice(bob), await newDevice(cat)], verify);
  const cOld = C!.state;
  const { seen } = await commit(A!, [B!, C!], { remove: [C!.device.deviceId] }, verify);
  assert.deepEqual(seen[0]!.removed.map((m) => m.user), [cat.userId]);
  assert.equal(seen[0]!.removedSelf, false);
  assert.equal(seen[1]!.removedSelf, true, 'the removed device learns it was removed');
  assert.deepEqual(groupMembers(A!.state).map((m) => m.user), [ana.userId, bob.userId]);
  const later = await encryptMessage(A!.state, utf8('without cat'));
  for (const state of [C!.state, cOld]) {
    await assert.rejects(processMessage(state, later.message, verify), WrongEpochError);
  }
  const got = await processMessage(B!.state, later.message, verify);
  assert.equal(got.kind, 'application');
});

test('a device revoked by another device of the same account cannot decrypt later messages', async () => {
  const [A1, A2, B] = await makeGroup(await newDevice(ana), [await newDevice(ana), await newDevice(bob)], verify);
  const { seen } = await commit(A1!, [A2!, B!], { remove: [A2!.device.deviceId] }, verify);
  assert.equal(seen[0]!.removedSelf, true);
  assert.deepEqual(seen[1]!.removed.map((m) => m.device), [A2!.device.deviceId]);
  await send(B!, [A1!], 'only the phone reads this', verify);
  const later = await encryptMessage(A1!.state, utf8('laptop is gone'));
  await assert.rejects(processMessage(A2!.state, later.message, verify), WrongEpochError);
  await assert.rejects(encryptMessage(A2!.state, utf8('ghost')), CryptoError, 'a removed device cannot send either');
});

test('a new member cannot decrypt messages from before it joined; old members still can, late', async () => {
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const early = await encryptMessage(A!.state, utf8('before cat'));
  A!.state = early.newState;
  const catDevice = await newDevice(cat);
  const store = new KeyStore();
  const [kp] = await store.generate(catDevice);
  const { welcome } = await commit(A!, [B!], { add: [kp!.publicBytes] }, verify);
  const { state: catState } = await joinFromWelcome(welcome!, store.find, verify);
  await assert.rejects(processMessage(catState, early.message, verify), WrongEpochError);
  const late = await processMessage(B!.state, early.message, verify);
  assert.equal(late.kind === 'application' && new TextDecoder().decode(late.plaintext), 'before cat');
});

test('commitChanges does not mutate its input: after an epoch conflict the loser processes the winning commit', async () => {
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const before = encodeGroupState(B!.state);
  const bobsCommit = await commitChanges(B!.state, {}, verify); // loses the race at the server
  const anasCommit = await commitChanges(A!.state, {}, verify); // wins
  assert.deepEqual(encodeGroupState(B!.state), before, 'input state unchanged byte for byte');
  assert.equal(groupEpoch(bobsCommit.newState), 2);
  A!.state = anasCommit.newState;
  const got = await processMessage(B!.state, anasCommit.commit, verify);
  assert.equal(got.kind, 'commit');
  B!.state = got.newState;
  assert.equal(groupEpoch(B!.state), 2);
  await send(A!, [B!], 'we agree on epoch 2', verify);
  await send(B!, [A!], 'yes', verify);
  // Bob's discarded commit is now for a past epoch: the winner refuses it with a typed error.
  await assert.rejects(processMessage(A!.state, bobsCommit.commit, verify), WrongEpochError);
});

test('encryptMessage and processMessage leave their input state usable', async () => {
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const aBefore = encodeGroupState(A!.state);
  const first = await encryptMessage(A!.state, utf8('one'));
  assert.deepEqual(encodeGroupState(A!.state), aBefore);
  const bBefore = encodeGroupState(B!.state);
  const got = await processMessage(B!.state, first.message, verify);
  assert.deepEqual(encodeGroupState(B!.state), bBefore);
  assert.equal(got.kind, 'application');
  // Processing the same message again from the old state works (the SDK may retry after a crash).
  const again = await processMessage(B!.state, first.message, verify);
  assert.equal(again.kind === 'application' && new TextDecoder().decode(again.plaintext), 'one');
});

test('exportSecret agrees across members, differs across epochs and labels', async () => {
  const [A, B, C] = await makeGroup(await newDevice(ana), [await newDevice(bob), await newDevice(cat)], verify);
  const ctx = utf8('call-1');
  const secrets = await Promise.all([A!, B!, C!].map((m) => exportSecret(m.state, 'charla call', ctx, 32)));
  assert.equal(secrets[0]!.length, 32);
  assert.deepEqual(secrets[1], secrets[0]);
  assert.deepEqual(secrets[2], secrets[0]);
  assert.notDeepEqual(await exportSecret(A!.state, 'other label', ctx, 32), secrets[0]);
  assert.notDeepEqual(await exportSecret(A!.state, 'charla call', utf8('call-2'), 32), secrets[0]);
  await commit(B!, [A!, C!], {}, verify);
  const next = await exportSecret(C!.state, 'charla call', ctx, 32);
  assert.notDeepEqual(next, secrets[0]);
  assert.deepEqual(await exportSecret(A!.state, 'charla call', ctx, 32), next);
});

test('application messages are padded: lengths leak only a coarse bucket', async () => {
  const [A] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const sizes: number[] = [];
  for (const n of [0, 10, 150, 1000, 1010]) {
    const out = await encryptMessage(A!.state, new Uint8Array(n));
    A!.state = out.newState;
    sizes.push(out.message.length);
  }
  assert.equal(sizes[0], sizes[1]);
  assert.equal(sizes[1], sizes[2]);
  assert.equal(sizes[3], sizes[4]);
  assert.ok(sizes[3]! > sizes[2]!);
});

test('processMessage refuses junk, welcomes and messages of another group with CryptoError', async () => {
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const [X] = await makeGroup(await newDevice(cat), [await newDevice(bob)], verify);
  const foreign = await encryptMessage(X!.state, utf8('elsewhere'));
  await assert.rejects(processMessage(B!.state, foreign.message, verify), (e: unknown) => e instanceof CryptoError && e.code === 'invalid_message');
  await assert.rejects(processMessage(B!.state, utf8('junk'), verify), CryptoError);
  const msg = await encryptMessage(A!.state, utf8('x'));
  const flipped = msg.message.slice();
  flipped[flipped.length - 3]! ^= 1;
  await assert.rejects(processMessage(B!.state, flipped, verify), CryptoError);
});
