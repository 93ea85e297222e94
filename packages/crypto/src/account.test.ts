import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateAccountKey, signDeviceCredential, verifyDeviceCredential } from './account.ts';
import { generateDeviceSigningKeys } from './mls-key-package.ts';

const user = '@ana:example.org';
const device = 'AAAAAAAAAAAAAAAAAAAAAA';

test('[DEV-2] a device credential verifies under its account key only, for exactly its user, device and key', async () => {
  const account = generateAccountKey();
  const other = generateAccountKey();
  const { publicKey } = await generateDeviceSigningKeys();
  const sig = signDeviceCredential(account.privateKey, user, device, publicKey);
  assert.equal(sig.length, 64);
  assert.equal(account.publicKey.length, 32);
  assert.equal(verifyDeviceCredential(account.publicKey, user, device, publicKey, sig), true);
  assert.equal(verifyDeviceCredential(other.publicKey, user, device, publicKey, sig), false);
  assert.equal(verifyDeviceCredential(account.publicKey, '@bob:example.org', device, publicKey, sig), false);
  assert.equal(verifyDeviceCredential(account.publicKey, user, 'BBBBBBBBBBBBBBBBBBBBBB', publicKey, sig), false);
  const otherKey = (await generateDeviceSigningKeys()).publicKey;
  assert.equal(verifyDeviceCredential(account.publicKey, user, device, otherKey, sig), false);
  assert.equal(verifyDeviceCredential(account.publicKey, user, device, publicKey, sig.subarray(0, 63)), false);
  assert.equal(verifyDeviceCredential(new Uint8Array(32).fill(0xff), user, device, publicKey, sig), false);
});
