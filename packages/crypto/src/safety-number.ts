import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@charla/protocol';
import { utf8 } from './bytes.ts';
import { CryptoError } from './errors.ts';

/** Bumped if the derivation below ever changes, so old and new numbers can never collide. */
const SAFETY_NUMBER_VERSION = 0;
const ITERATIONS = 5200;

export interface SafetyNumberParty {
  userId: string;
  accountPublicKey: Uint8Array;
}

/**
 * One safety number per pair of accounts (not per device), because the account key vouches for
 * every device. Derivation follows Signal's numeric fingerprint: per side, hash = version || key ||
 * userId, then hash = SHA-512(hash || key) 5200 times (the iterations make grinding for a
 * colliding key expensive); 30 digits come from the first 30 bytes (six 5-byte big-endian chunks
 * mod 100000). Both sides' 30-digit strings are sorted so (a, b) and (b, a) display the same 60 digits.
 */
export async function safetyNumber(a: SafetyNumberParty, b: SafetyNumberParty): Promise<string> {
  const [first, second] = [fingerprintDigits(a), fingerprintDigits(b)].sort();
  const digits = `${first}${second}`;
  return digits.match(/.{5}/g)!.join(' ');
}

function fingerprintDigits(party: SafetyNumberParty): string {
  if (party.accountPublicKey.length !== 32) throw new CryptoError('account public key must be 32 bytes');
  const version = new Uint8Array([SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff]);
  let hash = concatBytes([version, party.accountPublicKey, utf8(party.userId)]);
  for (let i = 0; i < ITERATIONS; i++) hash = sha512(concatBytes([hash, party.accountPublicKey]));
  let out = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let n = 0;
    // 40-bit values stay exact in a double, so plain arithmetic is safe here.
    for (let i = 0; i < 5; i++) n = n * 256 + hash[chunk * 5 + i]!;
    out += String(n % 100000).padStart(5, '0');
  }
  return out;
}
