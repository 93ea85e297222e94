import { toBase64Url, fromBase64Url, type KdfParams } from '@charla/protocol';
import {
  derivePasswordKeys,
  generateAccountKey,
  generateDeviceSigningKeys,
  newKdfParams,
  openAccountKey,
  sealAccountKey,
  signDeviceCredential,
} from '@charla/crypto';
import { SdkError } from './errors.ts';
import { HttpApi } from './http-api.ts';
import { NS, type Profile } from './profile.ts';
import type { LocalStore } from './store.ts';
import { refillKeyPackages } from './key-packages.ts';

/** The weakest scrypt cost a client accepts from a server at login (the default for new accounts). */
export const MIN_KDF_N = 2 ** 15;

export interface RegisterOptions {
  serverUrl: string;
  username: string;
  password: string;
  deviceName?: string;
  inviteToken?: string;
}

/** Creates an account and this device's first session. No phone number, no email. */
export async function registerAccount(store: LocalStore, options: RegisterOptions): Promise<Profile> {
  const http = new HttpApi(options.serverUrl);
  const kdf = newKdfParams();
  const { authKey, wrapKey } = await derivePasswordKeys(options.password, kdf);
  const account = generateAccountKey();
  const sealed = await sealAccountKey(wrapKey, account.privateKey);
  await http.call('register', {
    username: options.username,
    authKey: toBase64Url(authKey),
    kdf,
    accountPublicKey: toBase64Url(account.publicKey),
    encryptedAccountKey: toBase64Url(sealed),
    ...(options.inviteToken ? { inviteToken: options.inviteToken } : {}),
  });
  return createDevice(store, http, options.username, authKey, wrapKey, options.deviceName ?? 'device');
}

export interface LoginOptions {
  serverUrl: string;
  username: string;
  password: string;
  deviceName?: string;
}

/** Adds a new device to an existing account. */
export async function loginAccount(store: LocalStore, options: LoginOptions): Promise<Profile> {
  const http = new HttpApi(options.serverUrl);
  const { kdf } = await http.call('prelogin', { username: options.username });
  // [AUTH-1] A server could hand out cheap parameters to make a stolen authKey easy to brute-force.
  if (kdf.N < MIN_KDF_N || kdf.r < 8) throw new SdkError('WEAK_KDF', 'the server asked for a weaker password hash than Charla allows; not logging in');
  const { authKey, wrapKey } = await derivePasswordKeys(options.password, kdf as KdfParams);
  return createDevice(store, http, options.username, authKey, wrapKey, options.deviceName ?? 'device');
}

async function createDevice(
  store: LocalStore,
  http: HttpApi,
  username: string,
  authKey: Uint8Array,
  wrapKey: Uint8Array,
  deviceName: string,
): Promise<Profile> {
  const session = await http.call('login', { username, authKey: toBase64Url(authKey), deviceName });
  http.token = session.token;
  // Kept on the device (like its own signing key) so that it can vouch for devices it links later.
  const accountPrivateKey = await openAccountKey(wrapKey, fromBase64Url(session.encryptedAccountKey));
  const signing = await generateDeviceSigningKeys();
  const credentialSignature = signDeviceCredential(accountPrivateKey, session.userId, session.deviceId, signing.publicKey);
  await http.call('activateDevice', {
    signatureKey: toBase64Url(signing.publicKey),
    credentialSignature: toBase64Url(credentialSignature),
  });
  const profile: Profile = {
    serverUrl: http.baseUrl,
    userId: session.userId,
    username,
    deviceId: session.deviceId,
    deviceName,
    token: session.token,
    tokenExpiresAt: session.expiresAt,
    accountPublicKey: fromBase64Url(session.accountPublicKey),
    credentialSignature,
    signingPublicKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    accountPrivateKey,
  };
  await store.write([
    { ns: NS.profile, key: 'self', value: profile },
    // Our own account key is pinned from the start: it is the one we just unsealed.
    { ns: NS.contacts, key: session.userId, value: { userId: session.userId, accountPublicKey: profile.accountPublicKey, keyChanged: false } },
  ]);
  await refillKeyPackages(store, http, profile);
  return profile;
}
