import { hkdf } from '@noble/hashes/hkdf.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KdfParams, fromBase64Url, toBase64Url } from '@charla/protocol';
import { aesGcmOpen, aesGcmSeal } from './aead.ts';
import { randomBytes, utf8 } from './bytes.ts';
import { CryptoError, WrongPasswordError } from './errors.ts';

const DEFAULT_N = 2 ** 15;

/** [AUTH-2] Fresh scrypt parameters for a new account or password change. */
export function newKdfParams(opts: { N?: number } = {}): KdfParams {
  return { alg: 'scrypt', salt: toBase64Url(randomBytes(16)), N: opts.N ?? DEFAULT_N, r: 8, p: 1 };
}

/**
 * [AUTH-2] The password never leaves the client: scrypt stretches it to a 32-byte master secret,
 * from which HKDF derives two independent keys, one proving the password to the server (authKey)
 * and one sealing the account key (wrapKey). The server sees authKey only, so it cannot unwrap.
 */
export async function derivePasswordKeys(password: string, params: KdfParams): Promise<{ authKey: Uint8Array; wrapKey: Uint8Array }> {
  const parsed = KdfParams.safeParse(params);
  if (!parsed.success) throw new CryptoError('invalid KDF parameters');
  const { salt, N, r, p } = parsed.data;
  // A server could hand out parameters that exhaust a phone's memory; 1 GiB is far above the default 32 MiB.
  if (128 * N * r > 2 ** 30) throw new CryptoError('KDF parameters too expensive');
  // NFKC so the same password typed on different keyboards/OSes (composed vs decomposed) agrees.
  const master = await scryptAsync(utf8(password.normalize('NFKC')), fromBase64Url(salt), { N, r, p, dkLen: 32, maxmem: 2 ** 30 + 2 ** 20 });
  try {
    return {
      authKey: hkdf(sha256, master, undefined, utf8('charla auth v1'), 32),
      wrapKey: hkdf(sha256, master, undefined, utf8('charla wrap v1'), 32),
    };
  } finally {
    master.fill(0);
  }
}

/** [AUTH-3] AES-256-GCM under the wrap key; nonce(12) || ciphertext || tag(16). */
export async function sealAccountKey(wrapKey: Uint8Array, accountPrivateKey: Uint8Array): Promise<Uint8Array> {
  if (wrapKey.length !== 32) throw new CryptoError('wrap key must be 32 bytes');
  return aesGcmSeal(wrapKey, accountPrivateKey);
}

export async function openAccountKey(wrapKey: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
  if (wrapKey.length !== 32) throw new CryptoError('wrap key must be 32 bytes');
  const opened = await aesGcmOpen(wrapKey, sealed);
  if (opened === undefined) throw new WrongPasswordError();
  return opened;
}
