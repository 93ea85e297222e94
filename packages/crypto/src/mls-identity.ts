import type { AuthenticationService, Credential } from 'ts-mls';
import { MlsIdentity, fromBase64Url, toBase64Url } from '@charla/protocol';
import { verifyDeviceCredential } from './account.ts';
import { utf8 } from './bytes.ts';

/** The device's MLS signature key pair (Ed25519, raw 32-byte keys). */
export interface DeviceSigningKeys {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Everything a device needs to appear as an MLS leaf: who it is, who vouches for it, and its keys. */
export interface DeviceCredential {
  userId: string;
  deviceId: string;
  accountPublicKey: Uint8Array;
  credentialSignature: Uint8Array;
  signingKeys: DeviceSigningKeys;
}

/**
 * The caller's trust decision about an identity whose account signature already verified
 * (typically: is accountKey the key pinned for identity.user?).
 */
export type IdentityVerifier = (identity: MlsIdentity, signatureKey: Uint8Array) => boolean | Promise<boolean>;

/** [DEV-4] The BasicCredential identity: UTF-8 JSON of MlsIdentity, byte fields base64url. */
export function credentialFor(device: DeviceCredential): Credential {
  const identity: MlsIdentity = {
    v: 1,
    user: device.userId,
    device: device.deviceId,
    accountKey: toBase64Url(device.accountPublicKey),
    sig: toBase64Url(device.credentialSignature),
  };
  return { credentialType: 'basic', identity: utf8(JSON.stringify(identity)) };
}

/** Parses a credential's identity without judging it; undefined for anything not a Charla identity. */
export function parseIdentity(credential: Credential): MlsIdentity | undefined {
  if (credential.credentialType !== 'basic') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(credential.identity));
  } catch {
    return undefined;
  }
  const parsed = MlsIdentity.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** [DEV-4] The half of the rule crypto always checks itself: the account key signed this device's leaf key. */
export function accountSignatureValid(identity: MlsIdentity, signatureKey: Uint8Array): boolean {
  return verifyDeviceCredential(fromBase64Url(identity.accountKey), identity.user, identity.device, signatureKey, fromBase64Url(identity.sig));
}

/** Outcome of the last refusal, so errors thrown by ts-mls can be reported as UntrustedIdentityError. */
export interface AuthRecord {
  refused: { userId: string | undefined } | undefined;
}

/**
 * Wires [DEV-4] into ts-mls: every leaf it validates (key packages in Adds, update paths in
 * commits, the whole tree and the signer when joining) goes through here.
 */
export function authService(verify: IdentityVerifier, record: AuthRecord): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      const identity = parseIdentity(credential);
      const ok = identity !== undefined && accountSignatureValid(identity, signaturePublicKey) && (await verify(identity, signaturePublicKey)) === true;
      if (!ok) record.refused ??= { userId: identity?.user };
      return ok;
    },
  };
}

/** Checks one identity the way authService does, for callers outside ts-mls (commitChanges' pre-check). */
export async function identityTrusted(credential: Credential, signatureKey: Uint8Array, verify: IdentityVerifier): Promise<MlsIdentity | undefined> {
  const identity = parseIdentity(credential);
  if (identity === undefined || !accountSignatureValid(identity, signatureKey)) return undefined;
  return (await verify(identity, signatureKey)) === true ? identity : undefined;
}
