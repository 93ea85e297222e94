import { z } from 'zod';
import { Base64Url, DeviceId, UserId } from './ids.ts';

/**
 * [DEV-2] The bytes an account key signs to vouch for a device: the UTF-8 of
 * `charla-device-v1\n<userId>\n<deviceId>\n` followed by the device's 32-byte Ed25519 MLS signature key.
 */
export function deviceCredentialBytes(userId: string, deviceId: string, signatureKey: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`charla-device-v1\n${userId}\n${deviceId}\n`);
  const out = new Uint8Array(prefix.length + signatureKey.length);
  out.set(prefix, 0);
  out.set(signatureKey, prefix.length);
  return out;
}

/**
 * [DEV-4] The identity inside each device's MLS BasicCredential: UTF-8 JSON of this shape. Every
 * member checks that `sig` verifies under `accountKey` over deviceCredentialBytes(user, device,
 * leaf signature key), and that `accountKey` is the key it knows for `user`.
 */
export const MlsIdentity = z.object({
  v: z.literal(1),
  user: UserId,
  device: DeviceId,
  accountKey: Base64Url.length(43),
  sig: Base64Url.length(86),
});
export type MlsIdentity = z.infer<typeof MlsIdentity>;
