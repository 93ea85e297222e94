import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeMlsMessage, defaultCapabilities, encodeMlsMessage, generateKeyPackageWithKey, type KeyPackage, type PrivateKeyPackage } from 'ts-mls';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { decodeKeyPackage as decodeTlsKeyPackage, keyPackageEncoder, keyPackageTBSEncoder } from 'ts-mls/keyPackage.js';
import { leafNodeTBSEncoder } from 'ts-mls/leafNode.js';
import { bytesEqual, toBase64Url, type MlsIdentity } from '@charla/protocol';
import { CryptoError, CryptoErrorCodes } from './errors.ts';
import { decodeFields, encodeFields, refHashSha256, verifyWithLabelEd25519 } from './mls-codec.ts';
import { accountSignatureValid, credentialFor, parseIdentity, type DeviceCredential, type DeviceSigningKeys } from './mls-identity.ts';
import { CIPHERSUITE_NAME, cipherSuite } from './mls-suite.ts';

/**
 * How long a key package stays usable. It bounds how long a stolen, unclaimed key package's init
 * key matters; the SDK refills (and replaces its last-resort package) well within this window.
 */
const KEY_PACKAGE_LIFETIME_SECONDS = 90 * 24 * 3600;
/** Tolerated clock skew between the device that made a key package and the one that adds it. */
const CLOCK_SKEW_SECONDS = 3600;
const PRIVATE_BUNDLE_VERSION = 1;

export interface KeyPackageBundle {
  /** MLSMessage (mls_key_package) bytes: what gets uploaded. */
  publicBytes: Uint8Array;
  /** Kept on the device until a Welcome for `ref` arrives (the package plus its private keys). */
  privateBytes: Uint8Array;
  /** base64url of the RFC 9420 KeyPackageRef: a Welcome names its recipients by this. */
  ref: string;
}

export async function generateDeviceSigningKeys(): Promise<DeviceSigningKeys> {
  const privateKey = ed25519.utils.randomSecretKey();
  return { publicKey: ed25519.getPublicKey(privateKey), privateKey };
}

/**
 * One-time and last-resort key packages are the same bytes here: the distinction lives in the
 * SDK and server (which one may be handed out twice), so this layer needs no last_resort extension.
 */
export async function generateKeyPackages(device: DeviceCredential, count: number): Promise<KeyPackageBundle[]> {
  if (!Number.isInteger(count) || count < 0) throw new CryptoError('key package count must be a non-negative integer');
  const bundles: KeyPackageBundle[] = [];
  for (let i = 0; i < count; i++) {
    const { publicPackage, privatePackage } = await makeKeyPackage(device);
    bundles.push({
      publicBytes: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage }),
      privateBytes: encodePrivateBundle(publicPackage, privatePackage),
      ref: keyPackageRef(publicPackage),
    });
  }
  return bundles;
}

/** A fresh key package for this device (also the creator's own leaf in createGroup). */
export async function makeKeyPackage(device: DeviceCredential): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  const credential = credentialFor(device);
  const identity = parseIdentity(credential);
  // Catch a mis-assembled device early: every other member would refuse its leaf anyway.
  if (identity === undefined) throw new CryptoError('device credential does not form a valid identity');
  if (!accountSignatureValid(identity, device.signingKeys.publicKey)) throw new CryptoError('account signature does not cover this device key');
  const now = Math.floor(Date.now() / 1000);
  const lifetime = { notBefore: BigInt(now - CLOCK_SKEW_SECONDS), notAfter: BigInt(now + KEY_PACKAGE_LIFETIME_SECONDS) };
  const keyPair = { signKey: device.signingKeys.privateKey, publicKey: device.signingKeys.publicKey };
  return generateKeyPackageWithKey(credential, defaultCapabilities(), lifetime, [], keyPair, await cipherSuite());
}

export function keyPackageRef(keyPackage: KeyPackage): string {
  return toBase64Url(refHashSha256('MLS 1.0 KeyPackage Reference', encode(keyPackageEncoder)(keyPackage)));
}

/** Decodes an uploaded key package without trusting it; undefined on anything malformed. */
export function decodeKeyPackage(publicBytes: Uint8Array): KeyPackage | undefined {
  try {
    const decoded = decodeMlsMessage(publicBytes, 0);
    if (decoded === undefined || decoded[1] !== publicBytes.length) return undefined;
    const [message] = decoded;
    return message.wireformat === 'mls_key_package' ? message.keyPackage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates a key package as far as public data allows (suite, both MLS signatures, the [DEV-4]
 * account signature) and returns who it belongs to. Synchronous so the server can check uploads
 * cheaply; it does not decide whether the account key is the right one for the user.
 */
export function parseKeyPackage(publicBytes: Uint8Array): { identity: MlsIdentity; signatureKey: Uint8Array; ref: string } {
  const kp = decodeKeyPackage(publicBytes);
  if (kp === undefined) throw new CryptoError('not a key package', { code: CryptoErrorCodes.invalidMessage });
  if (kp.version !== 'mls10' || kp.cipherSuite !== CIPHERSUITE_NAME) throw new CryptoError('unsupported key package ciphersuite', { code: CryptoErrorCodes.invalidMessage });
  const leaf = kp.leafNode;
  if (leaf.leafNodeSource !== 'key_package') throw new CryptoError('key package leaf has the wrong source', { code: CryptoErrorCodes.invalidMessage });
  const signatureKey = leaf.signaturePublicKey;
  if (!verifyWithLabelEd25519(signatureKey, 'LeafNodeTBS', encode(leafNodeTBSEncoder)(leaf), leaf.signature)) {
    throw new CryptoError('key package leaf signature invalid', { code: CryptoErrorCodes.invalidMessage });
  }
  if (!verifyWithLabelEd25519(signatureKey, 'KeyPackageTBS', encode(keyPackageTBSEncoder)(kp), kp.signature)) {
    throw new CryptoError('key package signature invalid', { code: CryptoErrorCodes.invalidMessage });
  }
  if (bytesEqual(kp.initKey, leaf.hpkePublicKey)) throw new CryptoError('key package reuses its init key', { code: CryptoErrorCodes.invalidMessage });
  const identity = parseIdentity(leaf.credential);
  if (identity === undefined) throw new CryptoError('key package credential is not a Charla identity', { code: CryptoErrorCodes.invalidMessage });
  if (!accountSignatureValid(identity, signatureKey)) throw new CryptoError('key package account signature invalid', { code: CryptoErrorCodes.untrustedIdentity });
  return { identity, signatureKey, ref: keyPackageRef(kp) };
}

function encodePrivateBundle(publicPackage: KeyPackage, privatePackage: PrivateKeyPackage): Uint8Array {
  return encodeFields(PRIVATE_BUNDLE_VERSION, [
    encode(keyPackageEncoder)(publicPackage),
    privatePackage.initPrivateKey,
    privatePackage.hpkePrivateKey,
    privatePackage.signaturePrivateKey,
  ]);
}

export function decodePrivateBundle(privateBytes: Uint8Array): { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage } {
  const fields = decodeFields(privateBytes, PRIVATE_BUNDLE_VERSION, 4);
  const [kpBytes, initPrivateKey, hpkePrivateKey, signaturePrivateKey] = fields ?? [];
  if (kpBytes === undefined || initPrivateKey === undefined || hpkePrivateKey === undefined || signaturePrivateKey === undefined) {
    throw new CryptoError('corrupt private key package');
  }
  let decoded: ReturnType<typeof decodeTlsKeyPackage>;
  try {
    decoded = decodeTlsKeyPackage(kpBytes, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== kpBytes.length) throw new CryptoError('corrupt private key package');
  return { publicPackage: decoded[0], privatePackage: { initPrivateKey, hpkePrivateKey, signaturePrivateKey } };
}
