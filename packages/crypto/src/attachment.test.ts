import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decryptAttachment, encryptAttachment, sha256 } from './attachment.ts';
import { CryptoError } from './errors.ts';

test('an attachment round-trips; the blob is nonce||ct||tag and hashed with SHA-256', async () => {
  const plaintext = crypto.getRandomValues(new Uint8Array(5000));
  const { blob, key, hash } = await encryptAttachment(plaintext);
  assert.equal(key.length, 32);
  assert.equal(blob.length, 12 + plaintext.length + 16);
  assert.deepEqual(hash, await sha256(blob));
  assert.deepEqual(await decryptAttachment(blob, key, hash), plaintext);
  const again = await encryptAttachment(plaintext);
  assert.notDeepEqual(again.key, key, 'a fresh key per attachment');
});

test('a tampered blob fails the hash check; a wrong key fails decryption', async () => {
  const { blob, key, hash } = await encryptAttachment(new TextEncoder().encode('secret photo'));
  const tampered = blob.slice();
  tampered[15]! ^= 0x80;
  await assert.rejects(decryptAttachment(tampered, key, hash), (e: unknown) => e instanceof CryptoError && e.code === 'hash_mismatch');
  // A tampered blob with a matching hash (a lying sender or server) still fails authentication.
  await assert.rejects(decryptAttachment(tampered, key, await sha256(tampered)), (e: unknown) => e instanceof CryptoError && e.code === 'decrypt_failed');
  const wrongKey = crypto.getRandomValues(new Uint8Array(32));
  await assert.rejects(decryptAttachment(blob, wrongKey, hash), (e: unknown) => e instanceof CryptoError && e.code === 'decrypt_failed');
});
