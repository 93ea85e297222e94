import { toBase64Url } from '@charla/protocol';
import { generateKeyPackages, type DeviceCredential } from '@charla/crypto';
import type { HttpApi } from './http-api.ts';
import { NS, type Profile } from './profile.ts';
import type { LocalStore, StoreWrite } from './store.ts';

/** How many one-time key packages a device keeps on its server, and when it refills. */
export const KEY_PACKAGE_TARGET = 30;
export const KEY_PACKAGE_LOW_WATER = 10;

export interface StoredKeyPackage {
  privateBytes: Uint8Array;
  lastResort: boolean;
}

export function deviceCredential(profile: Profile): DeviceCredential {
  return {
    userId: profile.userId,
    deviceId: profile.deviceId,
    accountPublicKey: profile.accountPublicKey,
    credentialSignature: profile.credentialSignature,
    signingKeys: { publicKey: profile.signingPublicKey, privateKey: profile.signingPrivateKey },
  };
}

/** Tops the device's one-time key packages up to the target, and makes sure a last-resort one exists. */
export async function refillKeyPackages(store: LocalStore, http: HttpApi, profile: Profile): Promise<number> {
  const { count, hasLastResort } = await http.call('keyPackageCount');
  if (count >= KEY_PACKAGE_LOW_WATER && hasLastResort) return 0;
  const wanted = Math.max(0, KEY_PACKAGE_TARGET - count);
  const bundles = await generateKeyPackages(deviceCredential(profile), wanted + (hasLastResort ? 0 : 1));
  const lastResort = hasLastResort ? undefined : bundles.pop();
  // Private parts are stored before the public ones are uploaded, so a welcome can never name a
  // key package this device has lost.
  const writes: StoreWrite[] = bundles.map((b) => ({ ns: NS.keyPackages, key: b.ref, value: { privateBytes: b.privateBytes, lastResort: false } satisfies StoredKeyPackage }));
  if (lastResort) writes.push({ ns: NS.keyPackages, key: lastResort.ref, value: { privateBytes: lastResort.privateBytes, lastResort: true } satisfies StoredKeyPackage });
  await store.write(writes);
  await http.call('uploadKeyPackages', {
    keyPackages: bundles.map((b) => toBase64Url(b.publicBytes)),
    ...(lastResort ? { lastResort: toBase64Url(lastResort.publicBytes) } : {}),
  });
  return bundles.length;
}
