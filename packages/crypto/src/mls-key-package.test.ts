import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { fromBase64Url, toBase64Url } from '@charla/protocol';
import { newAccount, newDevice, pinning, KeyStore } from '../test/fixtures.ts';
import { makeGroup } from '../test/group-harness.ts';
import { forgedDevice, rawKeyPackage } from '../test/malicious.ts';
import { CryptoError } from './errors.ts';
import { commitChanges, joinFromWelcome } from './mls-group.ts';
import { decodeKeyPackage, generateKeyPackages, parseKeyPackage } from './mls-key-package.ts';
import { groupMembers } from './mls-state.ts';
import { cipherSuite } from './mls-suite.ts';

const ana = newAccount('ana');
const bob = newAccount('bob');
const verify = pinning(ana, bob);

test('generateKeyPackages makes distinct packages that parseKeyPackage attributes to the device', async () => {
  const device = await newDevice(ana);
  const bundles = await generateKeyPackages(device, 3);
  assert.equal(bundles.length, 3);
  assert.equal(new Set(bundles.map((b) => b.ref)).size, 3);
  for (const b of bundles) {
    const parsed = parseKeyPackage(b.publicBytes);
    assert.deepEqual(parsed.identity, {
      v: 1,
      user: ana.userId,
      device: device.deviceId,
      accountKey: toBase64Url(ana.keys.publicKey),
      sig: toBase64Url(device.credentialSignature),
    });
    assert.deepEqual(parsed.signatureKey, device.signingKeys.publicKey);
    assert.equal(parsed.ref, b.ref);
    // Our synchronous ref is the RFC 9420 KeyPackageRef as ts-mls computes it.
    assert.deepEqual(fromBase64Url(b.ref), await makeKeyPackageRef(decodeKeyPackage(b.publicBytes)!, (await cipherSuite()).hash));
  }
});

test('parseKeyPackage throws CryptoError on junk, truncation, trailing bytes, tampering and bad account signatures', async () => {
  const [b] = await generateKeyPackages(await newDevice(ana), 1);
  const bytes = b!.publicBytes;
  const bad = (x: Uint8Array) => assert.throws(() => parseKeyPackage(x), CryptoError);
  bad(new Uint8Array(0));
  bad(new TextEncoder().encode('not a key package at all'));
  bad(bytes.subarray(0, bytes.length - 1));
  bad(new Uint8Array([...bytes, 0]));
  for (const i of [40, Math.floor(bytes.length / 2), bytes.length - 10]) {
    const t = bytes.slice();
    t[i]! ^= 1;
    bad(t);
  }
  const forged = await rawKeyPackage(await forgedDevice(ana, bob));
  assert.throws(() => parseKeyPackage(forged.bytes), (e: unknown) => e instanceof CryptoError && e.code === 'untrusted_identity');
});

test('joinFromWelcome throws CryptoError when the welcome is for none of our key packages', async () => {
  const [A] = await makeGroup(await newDevice(ana), [], verify);
  const [kp] = await generateKeyPackages(await newDevice(bob), 1);
  const out = await commitChanges(A!.state, { add: [kp!.publicBytes] }, verify);
  await assert.rejects(joinFromWelcome(out.welcome!, () => undefined, verify), (e: unknown) => e instanceof CryptoError && e.code === 'no_matching_key_package');
  const others = new KeyStore();
  await others.generate(await newDevice(bob), 2);
  await assert.rejects(joinFromWelcome(out.welcome!, others.find, verify), CryptoError);
  await assert.rejects(joinFromWelcome(kp!.publicBytes, others.find, verify), CryptoError, 'a key package is not a welcome');
});

test('one key package can be used by two groups (a last-resort package needs nothing special here)', async () => {
  const bobDevice = await newDevice(bob);
  const store = new KeyStore();
  const [lastResort] = await store.generate(bobDevice);
  for (let i = 0; i < 2; i++) {
    const [A] = await makeGroup(await newDevice(ana), [], verify);
    const out = await commitChanges(A!.state, { add: [lastResort!.publicBytes] }, verify);
    const joined = await joinFromWelcome(out.welcome!, store.find, verify);
    assert.equal(joined.keyPackageRef, lastResort!.ref);
    assert.equal(groupMembers(joined.state).length, 2);
  }
});
