import { bytesEqual, fromBase64Url, parseUserId, type MlsIdentity } from '@charla/protocol';
import { safetyNumber, verifyDeviceCredential } from '@charla/crypto';
import { SdkError } from './errors.ts';
import type { HttpApi } from './http-api.ts';
import { NS } from './profile.ts';
import type { LocalStore } from './store.ts';

export interface Contact {
  userId: string;
  /** The account key this device trusts for the user (pinned on first sight). */
  accountPublicKey: Uint8Array;
  /** Set when the server started presenting another key; cleared once the user was warned. */
  keyChanged: boolean;
}

export interface VerifiedUser {
  userId: string;
  accountPublicKey: Uint8Array;
  devices: Array<{ deviceId: string; signatureKey: Uint8Array }>;
}

/**
 * Who is who: account keys pinned on first use, device lists checked against them, and safety
 * numbers. A device whose credential does not verify under its account key is never used.
 */
export class Directory {
  readonly #store: LocalStore;
  readonly #http: HttpApi;
  readonly #serverName: string;
  readonly #onKeyChange: (userId: string) => void;

  constructor(store: LocalStore, http: HttpApi, ownUserId: string, onKeyChange: (userId: string) => void) {
    this.#store = store;
    this.#http = http;
    this.#serverName = parseUserId(ownUserId)?.server ?? '';
    this.#onKeyChange = onKeyChange;
  }

  /** `bruno` → `@bruno:<our server>`; a full user id is returned as is. */
  resolve(nameOrId: string): string {
    const name = nameOrId.trim().toLowerCase();
    return name.startsWith('@') ? name : `@${name}:${this.#serverName}`;
  }

  contact(userId: string): Promise<Contact | undefined> {
    return this.#store.get<Contact>(NS.contacts, userId);
  }

  /** Fetches a user's account key and active devices, verifying every device credential. */
  async fetchUser(userId: string): Promise<VerifiedUser> {
    const user = await this.#http.call('user', undefined, { userId });
    const accountPublicKey = fromBase64Url(user.accountPublicKey);
    await this.#observeKey(user.userId, accountPublicKey);
    const devices = user.devices
      .map((d) => ({ deviceId: d.deviceId, signatureKey: fromBase64Url(d.signatureKey), sig: fromBase64Url(d.credentialSignature) }))
      .filter((d) => verifyDeviceCredential(accountPublicKey, user.userId, d.deviceId, d.signatureKey, d.sig))
      .map(({ deviceId, signatureKey }) => ({ deviceId, signatureKey }));
    return { userId: user.userId, accountPublicKey, devices };
  }

  /** The MLS identity check ([DEV-4]): the credential's account key must be the one we trust for the user. */
  readonly verifyIdentity = async (identity: MlsIdentity): Promise<boolean> => {
    const key = fromBase64Url(identity.accountKey);
    const known = await this.contact(identity.user);
    if (!known) {
      await this.#pin(identity.user, key, false);
      return true;
    }
    return bytesEqual(known.accountPublicKey, key);
  };

  async safetyNumber(ownUserId: string, peerUserId: string): Promise<string> {
    const own = await this.contact(ownUserId);
    // A person never seen before: fetching them pins their key first.
    if (!(await this.contact(peerUserId))) await this.fetchUser(peerUserId);
    const peer = await this.contact(peerUserId);
    if (!own || !peer) throw new SdkError('UNKNOWN_KEY', 'no account key known for that person');
    return safetyNumber(
      { userId: ownUserId, accountPublicKey: own.accountPublicKey },
      { userId: peerUserId, accountPublicKey: peer.accountPublicKey },
    );
  }

  /** Returns true once if the user's key changed since the last warning, and clears the flag. */
  async takeKeyChangeWarning(userId: string): Promise<boolean> {
    const contact = await this.contact(userId);
    if (!contact?.keyChanged) return false;
    await this.#pin(userId, contact.accountPublicKey, false);
    return true;
  }

  async #observeKey(userId: string, key: Uint8Array): Promise<void> {
    const known = await this.contact(userId);
    if (!known) return this.#pin(userId, key, false);
    if (bytesEqual(known.accountPublicKey, key)) return;
    await this.#pin(userId, key, true);
    this.#onKeyChange(userId);
  }

  #pin(userId: string, accountPublicKey: Uint8Array, keyChanged: boolean): Promise<void> {
    return this.#store.write([{ ns: NS.contacts, key: userId, value: { userId, accountPublicKey, keyChanged } satisfies Contact }]);
  }
}
