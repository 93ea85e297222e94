import { bytesEqual } from '@charla/protocol';
import { aesGcmOpen, aesGcmSeal } from './aead.ts';
import { bufferSource, randomBytes } from './bytes.ts';
import { CryptoError, CryptoErrorCodes } from './errors.ts';

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bufferSource(bytes)));
}

/**
 * Attachments are encrypted before upload with a fresh key per blob; the key and the blob's hash
 * travel inside the (MLS-encrypted) message as an AttachmentRef, so the server stores only ciphertext.
 */
export async function encryptAttachment(plaintext: Uint8Array): Promise<{ blob: Uint8Array; key: Uint8Array; hash: Uint8Array }> {
  const key = randomBytes(32);
  const blob = await aesGcmSeal(key, plaintext);
  return { blob, key, hash: await sha256(blob) };
}

/** Checks the hash first: a server that swaps blobs is caught before any decryption is attempted. */
export async function decryptAttachment(blob: Uint8Array, key: Uint8Array, hash: Uint8Array): Promise<Uint8Array> {
  if (key.length !== 32) throw new CryptoError('attachment key must be 32 bytes');
  if (!bytesEqual(await sha256(blob), hash)) throw new CryptoError('hash mismatch', { code: CryptoErrorCodes.hashMismatch });
  const plaintext = await aesGcmOpen(key, blob);
  if (plaintext === undefined) throw new CryptoError('decrypt failed', { code: CryptoErrorCodes.decryptFailed });
  return plaintext;
}
