import { bufferSource, randomBytes } from './bytes.ts';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

async function importAesKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
  return globalThis.crypto.subtle.importKey('raw', bufferSource(key), 'AES-GCM', false, [usage]);
}

/** AES-256-GCM with a fresh random nonce; output is nonce(12) || ciphertext || tag(16). */
export async function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES);
  const cryptoKey = await importAesKey(key, 'encrypt');
  const ct = new Uint8Array(
    await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: bufferSource(nonce) }, cryptoKey, bufferSource(plaintext)),
  );
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Opens aesGcmSeal's output; returns undefined when the tag does not verify (wrong key or tampering). */
export async function aesGcmOpen(key: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const cryptoKey = await importAesKey(key, 'decrypt');
  try {
    const pt = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bufferSource(sealed.subarray(0, NONCE_BYTES)) },
      cryptoKey,
      bufferSource(sealed.subarray(NONCE_BYTES)),
    );
    return new Uint8Array(pt);
  } catch {
    return undefined;
  }
}
