import { hkdf } from '@noble/hashes/hkdf.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { aesGcmOpen, aesGcmSeal } from './aead.ts';
import { CryptoError } from './errors.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * [LINK-2] The key two devices share through a link code: scrypt of the code's secret half (salted
 * with the link id, so the server, which knows the id, still has to brute-force the secret through
 * scrypt), then HKDF to a 32-byte AES key.
 */
export async function deriveLinkKey(secret: string, linkId: string): Promise<Uint8Array> {
  const stretched = await scryptAsync(utf8(secret), utf8(linkId), { N: 16_384, r: 8, p: 1, dkLen: 32 });
  try {
    return hkdf(sha256, stretched, undefined, utf8('charla link v1'), 32);
  } finally {
    stretched.fill(0);
  }
}

/** [LINK-3] nonce(12) || AES-256-GCM(linkKey, plaintext). */
export function sealForLink(linkKey: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return aesGcmSeal(linkKey, plaintext);
}

export async function openFromLink(linkKey: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
  const plaintext = await aesGcmOpen(linkKey, sealed);
  if (!plaintext) throw new CryptoError('a device-link message does not open with this link code', { code: 'decrypt_failed' });
  return plaintext;
}
