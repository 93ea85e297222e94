import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url } from '@charla/protocol';
import { CryptoError, WrongPasswordError } from './errors.ts';
import { derivePasswordKeys, newKdfParams, openAccountKey, sealAccountKey } from './password.ts';

// Tests use a small N to stay fast; the default is checked separately.
const cheap = () => newKdfParams({ N: 2 ** 10 });

test('[AUTH-2] newKdfParams: scrypt, 16 random salt bytes, N=2^15 r=8 p=1 by default', () => {
  const a = newKdfParams();
  const b = newKdfParams();
  assert.deepEqual({ ...a, salt: '' }, { alg: 'scrypt', salt: '', N: 2 ** 15, r: 8, p: 1 });
  assert.equal(fromBase64Url(a.salt).length, 16);
  assert.notEqual(a.salt, b.salt);
});

test('[AUTH-2] the same password and params give the same keys; auth and wrap keys differ', async () => {
  const params = cheap();
  const one = await derivePasswordKeys('correct horse', params);
  const two = await derivePasswordKeys('correct horse', params);
  assert.deepEqual(one, two);
  assert.equal(one.authKey.length, 32);
  assert.equal(one.wrapKey.length, 32);
  assert.notDeepEqual(one.authKey, one.wrapKey);
  const otherSalt = await derivePasswordKeys('correct horse', cheap());
  assert.notDeepEqual(otherSalt.authKey, one.authKey);
  const otherPassword = await derivePasswordKeys('correct horse!', params);
  assert.notDeepEqual(otherPassword.authKey, one.authKey);
});

test('[AUTH-2] composed and decomposed spellings of a password derive the same keys', async () => {
  const params = cheap();
  const composed = await derivePasswordKeys('caf\u00e9', params);
  const decomposed = await derivePasswordKeys('cafe\u0301', params);
  assert.deepEqual(composed, decomposed);
});

test('[AUTH-3] the account key seals and opens; a wrong password gives WrongPasswordError', async () => {
  const params = cheap();
  const { wrapKey } = await derivePasswordKeys('right', params);
  const accountKey = crypto.getRandomValues(new Uint8Array(32));
  const sealed = await sealAccountKey(wrapKey, accountKey);
  assert.equal(sealed.length, 12 + 32 + 16);
  assert.deepEqual(await openAccountKey(wrapKey, sealed), accountKey);

  const wrong = await derivePasswordKeys('wrong', params);
  await assert.rejects(openAccountKey(wrong.wrapKey, sealed), (e: unknown) => {
    assert.ok(e instanceof WrongPasswordError && e instanceof CryptoError);
    assert.equal(e.name, 'WrongPasswordError');
    assert.equal(e.code, 'wrong_password');
    return true;
  });
  const tampered = sealed.slice();
  tampered[20]! ^= 1;
  await assert.rejects(openAccountKey(wrapKey, tampered), WrongPasswordError);
  await assert.rejects(openAccountKey(wrapKey, sealed.subarray(0, 10)), WrongPasswordError);
});

test('derivePasswordKeys refuses malformed or memory-exhausting parameters', async () => {
  await assert.rejects(derivePasswordKeys('x', { ...cheap(), salt: 'short' }), CryptoError);
  await assert.rejects(derivePasswordKeys('x', { ...cheap(), N: 2 ** 20, r: 32 }), CryptoError);
});
