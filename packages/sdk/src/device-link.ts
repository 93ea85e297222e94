import { fromBase64Url, toBase64Url } from '@charla/protocol';
import {
  deriveLinkKey,
  generateDeviceSigningKeys,
  openFromLink,
  sealForLink,
  signDeviceCredential,
  verifyDeviceCredential,
} from '@charla/crypto';
import type { Contact } from './directory.ts';
import type { Conversation, MessageRecord } from './conversations.ts';
import { SdkError } from './errors.ts';
import { HttpApi } from './http-api.ts';
import { refillKeyPackages } from './key-packages.ts';
import { NS, type Profile } from './profile.ts';
import type { LocalStore, StoreWrite } from './store.ts';

/**
 * Linking a new device from an existing one ([LINK-*]): the existing device shows a link code
 * (or its URL as a QR code); the new device joins with it. They talk through the server, sealed
 * with a key derived from the code, so the server relays what it cannot read: the new device's
 * signature key one way; the signed credential, the account key and recent history the other.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POLL_MS = 700;
/** Messages per chat that a new device receives as history. */
export const HISTORY_PER_CHAT = 200;

export interface LinkCode {
  linkId: string;
  secret: string;
}

export function formatLinkCode(code: LinkCode): string {
  return `${code.linkId}${code.secret}`.match(/.{4}/g)!.join('-');
}

export function linkUrl(serverUrl: string, code: LinkCode): string {
  return `${serverUrl.replace(/\/+$/, '')}/link#${code.linkId}${code.secret}`;
}

/** Accepts the link URL or the typed code (dashes, spaces, lower case and the letters I/L/O forgiven). */
export function parseLinkCode(input: string): { code: LinkCode; server?: string } {
  let text = input.trim();
  let server: string | undefined;
  if (/^https?:\/\//.test(text)) {
    const url = new URL(text);
    server = url.origin;
    text = url.hash.slice(1);
  }
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (!/^[0-9A-HJKMNP-TV-Z]{24}$/.test(clean)) throw new SdkError('BAD_LINK_CODE', 'that is not a device link code');
  return { code: { linkId: clean.slice(0, 8), secret: clean.slice(8) }, ...(server ? { server } : {}) };
}

interface Hello {
  type: 'hello';
  deviceId: string;
  signatureKey: string;
}
interface Welcome {
  type: 'welcome';
  credentialSignature: string;
  accountPrivateKey: string;
  historyBlobId?: string;
}
interface HistoryArchive {
  v: 1;
  conversations: Conversation[];
  messages: MessageRecord[];
  /** Pinned account keys, base64url (the archive is JSON). */
  contacts: Array<{ userId: string; accountPublicKey: string; keyChanged: boolean }>;
}

export interface DeviceLinkSession {
  url: string;
  code: string;
  expiresAt: number;
  /** Resolves when the new device has been vouched for and has its history. */
  completed: Promise<{ deviceId: string }>;
  cancel(): void;
}

/** The existing device's side: create the link, wait for the new device, vouch for it. */
export async function startDeviceLink(store: LocalStore, http: HttpApi, profile: Profile): Promise<DeviceLinkSession> {
  const accountPrivateKey = profile.accountPrivateKey;
  if (!accountPrivateKey) throw new SdkError('NO_ACCOUNT_KEY', 'this device cannot link others; log in with your password on the new device instead');
  const { linkId, expiresAt } = await http.call('createDeviceLink');
  const secret = randomCrockford(16);
  const key = await deriveLinkKey(secret, linkId);
  let cancelled = false;
  const completed = (async () => {
    const hello = await waitFor<Hello>(http, linkId, key, 'joiner', 'hello', expiresAt, () => cancelled);
    const signatureKey = fromBase64Url(hello.signatureKey);
    const credentialSignature = signDeviceCredential(accountPrivateKey, profile.userId, hello.deviceId, signatureKey);
    const archive = await sealForLink(key, new TextEncoder().encode(JSON.stringify(await exportHistory(store))));
    const { blobId } = await http.uploadBlob(archive);
    const welcome: Welcome = { type: 'welcome', credentialSignature: toBase64Url(credentialSignature), accountPrivateKey: toBase64Url(accountPrivateKey), historyBlobId: blobId };
    await post(http, linkId, key, welcome);
    return { deviceId: hello.deviceId };
  })();
  return {
    url: linkUrl(profile.serverUrl, { linkId, secret }),
    code: formatLinkCode({ linkId, secret }),
    expiresAt,
    completed,
    cancel: () => {
      cancelled = true;
    },
  };
}

/** The new device's side: join with the code, get vouched for, activate, import the history. */
export async function joinDeviceLink(store: LocalStore, input: string, options: { serverUrl?: string; deviceName?: string } = {}): Promise<Profile> {
  const { code, server } = parseLinkCode(input);
  const serverUrl = server ?? options.serverUrl;
  if (!serverUrl) throw new SdkError('NO_SERVER', 'which server? open the link, or give its server');
  const http = new HttpApi(serverUrl);
  const key = await deriveLinkKey(code.secret, code.linkId);
  const deviceName = options.deviceName ?? 'device';
  const joined = await http.call('joinDeviceLink', { deviceName }, { linkId: code.linkId });
  http.token = joined.token;
  const signing = await generateDeviceSigningKeys();
  await post(http, code.linkId, key, { type: 'hello', deviceId: joined.deviceId, signatureKey: toBase64Url(signing.publicKey) } satisfies Hello);
  const welcome = await waitFor<Welcome>(http, code.linkId, key, 'creator', 'welcome', Date.now() + 10 * 60_000, () => false);
  const accountPublicKey = fromBase64Url(joined.accountPublicKey);
  const credentialSignature = fromBase64Url(welcome.credentialSignature);
  const accountPrivateKey = fromBase64Url(welcome.accountPrivateKey);
  // The credential must verify under the account key the server named, and the account key we
  // were given must be its private half (signing our own credential again proves it).
  const again = signDeviceCredential(accountPrivateKey, joined.userId, joined.deviceId, signing.publicKey);
  if (
    !verifyDeviceCredential(accountPublicKey, joined.userId, joined.deviceId, signing.publicKey, credentialSignature) ||
    !verifyDeviceCredential(accountPublicKey, joined.userId, joined.deviceId, signing.publicKey, again)
  ) {
    throw new SdkError('LINK_MISMATCH', 'the other device vouched with a key that is not this account\'s');
  }
  await http.call('activateDevice', { signatureKey: toBase64Url(signing.publicKey), credentialSignature: toBase64Url(credentialSignature) });
  const profile: Profile = {
    serverUrl: http.baseUrl,
    userId: joined.userId,
    username: joined.userId.slice(1).split(':')[0] ?? '',
    deviceId: joined.deviceId,
    deviceName,
    token: joined.token,
    tokenExpiresAt: joined.expiresAt,
    accountPublicKey,
    credentialSignature,
    signingPublicKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    accountPrivateKey,
  };
  // Key packages first: activation told every group of the account about this device, and its
  // members are now trying to add it (groups.ts reconcileUserDevices), which needs one of these.
  // Downloading and importing the history can take seconds on a slow link or a busy machine.
  await refillKeyPackages(store, http, profile);
  const writes: StoreWrite[] = [{ ns: NS.profile, key: 'self', value: profile }];
  if (welcome.historyBlobId) {
    const archive = JSON.parse(new TextDecoder().decode(await openFromLink(key, await http.downloadBlob(welcome.historyBlobId)))) as HistoryArchive;
    writes.push(...importHistory(archive, profile));
  }
  await store.write(writes);
  return profile;
}

async function exportHistory(store: LocalStore): Promise<HistoryArchive> {
  const conversations = (await store.list<Conversation>(NS.conversations)).map((r) => r.value);
  const messages: MessageRecord[] = [];
  for (const c of conversations) {
    const rows = await store.list<MessageRecord>(NS.messages, `${c.id}|`);
    messages.push(...rows.slice(-HISTORY_PER_CHAT).map((r) => r.value));
  }
  const contacts = (await store.list<Contact>(NS.contacts)).map(({ value: c }) => ({ userId: c.userId, accountPublicKey: toBase64Url(c.accountPublicKey), keyChanged: c.keyChanged }));
  return { v: 1, conversations, messages, contacts };
}

function importHistory(archive: HistoryArchive, profile: Profile): StoreWrite[] {
  if (archive.v !== 1) return [];
  const writes: StoreWrite[] = [];
  for (const c of archive.conversations) writes.push({ ns: NS.conversations, key: c.id, value: { ...c, unread: 0 } });
  for (const m of archive.messages) {
    // Same keys as Conversations.putMessage, so later redeliveries are recognised.
    const key = `${m.conversationId}|${String(m.ts).padStart(15, '0')}|${m.id}`;
    writes.push({ ns: NS.messages, key, value: { ...m, outgoing: m.sender === profile.userId } }, { ns: NS.messageIndex, key: m.id, value: key });
  }
  for (const c of archive.contacts) {
    const contact: Contact = { userId: c.userId, accountPublicKey: fromBase64Url(c.accountPublicKey), keyChanged: c.keyChanged };
    writes.push({ ns: NS.contacts, key: c.userId, value: contact });
  }
  // Whatever the archive says, this device trusts its own account's key as the link proved it.
  writes.push({ ns: NS.contacts, key: profile.userId, value: { userId: profile.userId, accountPublicKey: profile.accountPublicKey, keyChanged: false } satisfies Contact });
  return writes;
}

async function post(http: HttpApi, linkId: string, key: Uint8Array, message: Hello | Welcome): Promise<void> {
  const sealed = await sealForLink(key, new TextEncoder().encode(JSON.stringify(message)));
  await http.call('postLinkMessage', { payload: toBase64Url(sealed) }, { linkId });
}

async function waitFor<T extends Hello | Welcome>(
  http: HttpApi,
  linkId: string,
  key: Uint8Array,
  from: 'creator' | 'joiner',
  type: T['type'],
  deadline: number,
  cancelled: () => boolean,
): Promise<T> {
  while (Date.now() < deadline && !cancelled()) {
    const { messages } = await http.call('linkMessages', undefined, { linkId });
    for (const m of messages) {
      if (m.from !== from) continue;
      try {
        const parsed = JSON.parse(new TextDecoder().decode(await openFromLink(key, fromBase64Url(m.payload)))) as T;
        if (parsed.type === type) return parsed;
      } catch {
        // not sealed with our code: someone else's noise; keep waiting
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new SdkError('LINK_EXPIRED', cancelled() ? 'linking was cancelled' : 'the link code expired before the other device answered');
}

function randomCrockford(length: number): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => CROCKFORD[b & 31]).join('');
}
