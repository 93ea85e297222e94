import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newAccount, newDevice, pinning, KeyStore } from '../test/fixtures.ts';
import { makeGroup, send } from '../test/group-harness.ts';
import { forgedDevice, rawKeyPackage, uncheckedAddCommit, uncheckedWelcome } from '../test/malicious.ts';
import { CryptoError, UntrustedIdentityError } from './errors.ts';
import type { IdentityVerifier } from './mls-identity.ts';
import { commitChanges, joinFromWelcome } from './mls-group.ts';
import { generateKeyPackages } from './mls-key-package.ts';
import { processMessage } from './mls-message.ts';
import { encodeGroupState, groupEpoch } from './mls-state.ts';

const ana = newAccount('ana');
const bob = newAccount('bob');
const mallory = newAccount('mallory');
const verify = pinning(ana, bob);
const trustAll: IdentityVerifier = () => true;

function untrusted(userId: string) {
  return (e: unknown) => {
    assert.ok(e instanceof UntrustedIdentityError, `expected UntrustedIdentityError, got ${String(e)}`);
    assert.ok(e instanceof CryptoError);
    assert.equal(e.name, 'UntrustedIdentityError');
    assert.equal(e.code, 'untrusted_identity');
    assert.equal(e.userId, userId);
    return true;
  };
}

test('[DEV-4] generateKeyPackages refuses a device whose account signature does not cover it', async () => {
  await assert.rejects(generateKeyPackages(await forgedDevice(ana, mallory), 1), CryptoError);
});

test('[DEV-4] commitChanges refuses a key package with a bad account signature even when the verifier trusts everyone', async () => {
  const [A] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const forged = await rawKeyPackage(await forgedDevice(ana, mallory));
  await assert.rejects(commitChanges(A!.state, { add: [forged.bytes] }, trustAll), untrusted(ana.userId));
});

test('[DEV-4] a commit adding a bad account signature is refused by receivers, whose state stays usable', async () => {
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  const forged = await rawKeyPackage(await forgedDevice(bob, mallory));
  const evil = await uncheckedAddCommit(A!.state, [forged.publicPackage]);
  const before = encodeGroupState(B!.state);
  await assert.rejects(processMessage(B!.state, evil, trustAll), untrusted(bob.userId));
  assert.deepEqual(encodeGroupState(B!.state), before);
  assert.equal(groupEpoch(B!.state), 1);
  await send(A!, [B!], 'still fine at epoch 1', verify);
});

test('[DEV-4] a welcome whose tree holds a bad account signature is refused', async () => {
  const bobDevice = await newDevice(bob);
  const store = new KeyStore();
  const [kp] = await store.generate(bobDevice);
  const welcome = await uncheckedWelcome(await forgedDevice(ana, mallory), kp!.publicBytes);
  await assert.rejects(joinFromWelcome(welcome, store.find, trustAll), untrusted(ana.userId));
});

test("[DEV-4] the verifier's refusal is enforced in commitChanges, in commits and in welcomes", async () => {
  const malloryDevice = await newDevice(mallory); // correctly signed, but mallory is not pinned
  const [malloryKp] = await generateKeyPackages(malloryDevice, 1);
  const [A, B] = await makeGroup(await newDevice(ana), [await newDevice(bob)], verify);
  await assert.rejects(commitChanges(A!.state, { add: [malloryKp!.publicBytes] }, verify), untrusted(mallory.userId));

  // Ana trusts mallory, Bob does not: Bob refuses Ana's commit.
  const out = await commitChanges(A!.state, { add: [malloryKp!.publicBytes] }, pinning(ana, bob, mallory));
  await assert.rejects(processMessage(B!.state, out.commit, verify), untrusted(mallory.userId));
  // An async verifier is awaited, and its refusal counts too.
  await assert.rejects(processMessage(B!.state, out.commit, async (id) => id.user !== mallory.userId), untrusted(mallory.userId));

  // A welcome from a group whose members the joiner does not trust is refused.
  const bobDevice = await newDevice(bob);
  const store = new KeyStore();
  const [kp] = await store.generate(bobDevice);
  const welcome = await uncheckedWelcome(malloryDevice, kp!.publicBytes);
  await assert.rejects(joinFromWelcome(welcome, store.find, verify), untrusted(mallory.userId));
  // Mallory claiming to be Ana with her own account key fails the pinning of Ana's key.
  const impostor = await newDevice({ userId: ana.userId, keys: mallory.keys });
  const [impostorKp] = await generateKeyPackages(impostor, 1);
  await assert.rejects(commitChanges(A!.state, { add: [impostorKp!.publicBytes] }, verify), untrusted(ana.userId));
});
