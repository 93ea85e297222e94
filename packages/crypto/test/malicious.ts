/**
 * A "malicious client" built on ts-mls directly, bypassing every check in src/: it lets tests
 * put credentials into commits and welcomes that an honest Charla client would never produce.
 */
import {
  createCommit,
  createGroup,
  defaultCapabilities,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type ClientState,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { signDeviceCredential, type DeviceCredential, type GroupState } from '../src/index.ts';
import { credentialFor } from '../src/mls-identity.ts';
import { decodeKeyPackage } from '../src/mls-key-package.ts';
import { peek } from '../src/mls-state.ts';
import { cipherSuite } from '../src/mls-suite.ts';
import { newDevice, type TestAccount } from './fixtures.ts';

/** A device claiming `claimed`'s account key, but whose credential is signed by `signer`'s. */
export async function forgedDevice(claimed: TestAccount, signer: TestAccount): Promise<DeviceCredential> {
  const device = await newDevice(claimed);
  device.credentialSignature = signDeviceCredential(signer.keys.privateKey, device.userId, device.deviceId, device.signingKeys.publicKey);
  return device;
}

export async function rawKeyPackage(device: DeviceCredential): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage; bytes: Uint8Array }> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    credentialFor(device),
    defaultCapabilities(),
    { notBefore: now - 60n, notAfter: now + 86400n },
    [],
    { signKey: device.signingKeys.privateKey, publicKey: device.signingKeys.publicKey },
    await cipherSuite(),
  );
  return { publicPackage, privatePackage, bytes: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage }) };
}

const lenient = { ...defaultClientConfig };

/** A commit adding `keyPackages` made from `state` without any credential check. */
export async function uncheckedAddCommit(state: GroupState, keyPackages: KeyPackage[]): Promise<Uint8Array> {
  const working: ClientState = { ...structuredClone(peek(state)), clientConfig: lenient };
  const result = await createCommit(
    { state: working, cipherSuite: await cipherSuite() },
    { extraProposals: keyPackages.map((keyPackage) => ({ proposalType: 'add' as const, add: { keyPackage } })) },
  );
  return encodeMlsMessage(result.commit);
}

/** A group created by `creator` (whatever its credential) that adds `joinerPackage`; returns the Welcome. */
export async function uncheckedWelcome(creator: DeviceCredential, joinerPackage: Uint8Array): Promise<Uint8Array> {
  const own = await rawKeyPackage(creator);
  const cs = await cipherSuite();
  const state = await createGroup(crypto.getRandomValues(new Uint8Array(16)), own.publicPackage, own.privatePackage, [], cs, lenient);
  const result = await createCommit(
    { state, cipherSuite: cs },
    { extraProposals: [{ proposalType: 'add', add: { keyPackage: decodeKeyPackage(joinerPackage)! } }], ratchetTreeExtension: true },
  );
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome! });
}
