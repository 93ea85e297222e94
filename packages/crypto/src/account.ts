import { ed25519 } from '@noble/curves/ed25519.js';
import { deviceCredentialBytes } from '@charla/protocol';
import { CryptoError } from './errors.ts';

/** The user's account key (Ed25519): it signs each device's credential so others trust all devices at once. */
export interface AccountKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export function generateAccountKey(): AccountKeyPair {
  const privateKey = ed25519.utils.randomSecretKey();
  return { publicKey: ed25519.getPublicKey(privateKey), privateKey };
}

/** [DEV-2] The account key's 64-byte signature over deviceCredentialBytes(userId, deviceId, signatureKey). */
export function signDeviceCredential(accountPrivateKey: Uint8Array, userId: string, deviceId: string, signatureKey: Uint8Array): Uint8Array {
  if (accountPrivateKey.length !== 32) throw new CryptoError('account private key must be 32 bytes');
  if (signatureKey.length !== 32) throw new CryptoError('device signature key must be 32 bytes');
  return ed25519.sign(deviceCredentialBytes(userId, deviceId, signatureKey), accountPrivateKey);
}

export function verifyDeviceCredential(
  accountPublicKey: Uint8Array,
  userId: string,
  deviceId: string,
  signatureKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (accountPublicKey.length !== 32 || signatureKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, deviceCredentialBytes(userId, deviceId, signatureKey), accountPublicKey);
  } catch {
    // noble throws on points that do not decode; for a verifier that is simply "not valid".
    return false;
  }
}
