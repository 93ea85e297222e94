import type { LocalStore } from './store.ts';

/** Everything a device keeps about itself. Stored locally only; the private key never leaves. */
export interface Profile {
  serverUrl: string;
  userId: string;
  username: string;
  deviceId: string;
  deviceName: string;
  token: string;
  tokenExpiresAt: number;
  accountPublicKey: Uint8Array;
  credentialSignature: Uint8Array;
  signingPublicKey: Uint8Array;
  signingPrivateKey: Uint8Array;
  /**
   * The account's Ed25519 private key, kept so that this device can vouch for new devices of the
   * account ([LINK-4]) without the password. Absent on profiles made before linking existed.
   */
  accountPrivateKey?: Uint8Array;
}

export const NS = {
  profile: 'profile',
  keyPackages: 'kp',
  groups: 'groups',
  conversations: 'convs',
  messages: 'msgs',
  messageIndex: 'msgidx',
  outbox: 'outbox',
  contacts: 'contacts',
} as const;

export async function loadProfile(store: LocalStore): Promise<Profile | undefined> {
  return store.get<Profile>(NS.profile, 'self');
}
