import { randomId, toBase64Url } from '@charla/protocol';
import {
  generateAccountKey,
  generateDeviceSigningKeys,
  generateKeyPackages,
  signDeviceCredential,
  type AccountKeyPair,
  type DeviceCredential,
  type IdentityVerifier,
  type KeyPackageBundle,
} from '../src/index.ts';

export interface TestAccount {
  userId: string;
  keys: AccountKeyPair;
}

export function newAccount(username: string): TestAccount {
  return { userId: `@${username}:example.org`, keys: generateAccountKey() };
}

export async function newDevice(account: TestAccount): Promise<DeviceCredential> {
  const signingKeys = await generateDeviceSigningKeys();
  const deviceId = randomId();
  return {
    userId: account.userId,
    deviceId,
    accountPublicKey: account.keys.publicKey,
    credentialSignature: signDeviceCredential(account.keys.privateKey, account.userId, deviceId, signingKeys.publicKey),
    signingKeys,
  };
}

/** A device's key-package store, as the SDK would keep it. */
export class KeyStore {
  readonly bundles = new Map<string, KeyPackageBundle>();
  async generate(device: DeviceCredential, count = 1): Promise<KeyPackageBundle[]> {
    const fresh = await generateKeyPackages(device, count);
    for (const b of fresh) this.bundles.set(b.ref, b);
    return fresh;
  }
  find = (ref: string): Uint8Array | undefined => this.bundles.get(ref)?.privateBytes;
}

/** Pins account keys like the SDK does: trusts exactly the listed accounts. */
export function pinning(...accounts: TestAccount[]): IdentityVerifier {
  const pinned = new Map(accounts.map((a) => [a.userId, toBase64Url(a.keys.publicKey)]));
  return (identity) => pinned.get(identity.user) === identity.accountKey;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
