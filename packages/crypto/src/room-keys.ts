import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, fromBase64Url, toBase64Url } from '@charla/protocol';
import { aesGcmOpen, aesGcmSeal } from './aead.ts';
import { bufferSource, randomBytes, utf8 } from './bytes.ts';
import { CryptoError } from './errors.ts';
import { ROOM_SECRET_BYTES } from './room-ratchet.ts';

/**
 * Rooms' keys, all from the 32-byte link secret S that lives in the URL fragment
 * (`https://server/r/<roomId>#<S>`, [ROOM-*] in docs/protocol/spec.md):
 *
 *   accessKey   = HKDF-SHA256(S, info "charla room access v1", 32)   the server stores SHA-256 of it
 *   nameKey     = HKDF-SHA256(S, info "charla room names v1", 16)    AES-128-GCM over display names
 *   identityKey = HKDF-SHA256(S, info "charla room identity v1", 32) pubMac = HMAC(identityKey, pub)
 *   epoch 0     = HKDF-SHA256(S, info "charla room epoch 0 v1", 32)  then see room-ratchet.ts
 *
 * Pairwise sealing between two joins' ephemeral X25519 keys: key = HKDF(X25519(a, B), salt roomId,
 * info "charla room pairwise v1" || senderPub || recipientPub, 32), AES-256-GCM. Binding both keys
 * in their order means a sealed value cannot be reflected back to its sender or replayed to a third.
 */

const ACCESS_INFO = utf8('charla room access v1');
const NAMES_INFO = utf8('charla room names v1');
const IDENTITY_INFO = utf8('charla room identity v1');
const EPOCH0_INFO = utf8('charla room epoch 0 v1');
const PAIRWISE_INFO = utf8('charla room pairwise v1');

/** Display names are cut to this many UTF-8 bytes before sealing (the sealed field holds 200 chars). */
export const MAX_ROOM_NAME_BYTES = 120;

function checkSecret(secret: Uint8Array): void {
  if (secret.length !== ROOM_SECRET_BYTES) throw new CryptoError('a room secret is 32 bytes');
}

function derive(secret: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  checkSecret(secret);
  return hkdf(sha256, secret, undefined, info, length);
}

export function newRoomSecret(): Uint8Array {
  return randomBytes(ROOM_SECRET_BYTES);
}

/** A fresh random epoch secret, for a rotation after a removal. */
export function newEpochSecret(): Uint8Array {
  return randomBytes(ROOM_SECRET_BYTES);
}

export function roomAccessKey(secret: Uint8Array): Uint8Array {
  return derive(secret, ACCESS_INFO, 32);
}

export function epochZeroSecret(secret: Uint8Array): Uint8Array {
  return derive(secret, EPOCH0_INFO, 32);
}

// ---- links ---------------------------------------------------------------------------------

export type RoomLink = {
  /** The server's base URL (origin plus any path prefix), without a trailing slash. */
  serverUrl: string;
  roomId: string;
  secret: Uint8Array;
  /** Present in a host link: joining with it makes you a host. */
  hostToken?: string;
};

const ROOM_ID = /^[A-Za-z0-9_-]{22}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** `https://server/r/<roomId>#<S>`; a host link appends `.<hostToken>` to the fragment. */
export function roomLink(publicUrl: string, roomId: string, secret: Uint8Array, hostToken?: string): string {
  checkSecret(secret);
  if (!ROOM_ID.test(roomId)) throw new CryptoError('invalid room id');
  if (hostToken !== undefined && !TOKEN.test(hostToken)) throw new CryptoError('invalid host token');
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/r/${roomId}#${toBase64Url(secret)}${hostToken ? `.${hostToken}` : ''}`;
}

/** Parses a room link; throws CryptoError (invalid_input) when it is not one. */
export function parseRoomLink(link: string): RoomLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new CryptoError('not a room link');
  }
  const match = /^(.*)\/r\/([A-Za-z0-9_-]{22})\/?$/.exec(url.pathname);
  const [secretPart, hostToken, ...rest] = url.hash.replace(/^#/, '').split('.');
  if (!match || !secretPart || !/^[A-Za-z0-9_-]{43}$/.test(secretPart) || rest.length > 0) throw new CryptoError('not a room link');
  if (hostToken !== undefined && !TOKEN.test(hostToken)) throw new CryptoError('not a room link');
  return {
    serverUrl: `${url.origin}${match[1] ?? ''}`,
    roomId: match[2]!,
    secret: fromBase64Url(secretPart),
    ...(hostToken ? { hostToken } : {}),
  };
}

// ---- names -----------------------------------------------------------------------------------

async function nameKey(secret: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', bufferSource(derive(secret, NAMES_INFO, 16)), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Cuts a display name to MAX_ROOM_NAME_BYTES of UTF-8 on a character boundary. */
export function clampRoomName(name: string): string {
  let out = '';
  let bytes = 0;
  for (const ch of name.trim()) {
    const n = utf8(ch).length;
    if (bytes + n > MAX_ROOM_NAME_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** nonce(12) || AES-128-GCM(nameKey, name): what the server relays as `name`. */
export async function sealRoomName(secret: Uint8Array, name: string): Promise<Uint8Array> {
  const nonce = randomBytes(12);
  const ct = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: bufferSource(nonce) }, await nameKey(secret), bufferSource(utf8(clampRoomName(name))));
  return concatBytes([nonce, new Uint8Array(ct)]);
}

/** The display name, or undefined when it was not sealed with this room's secret. */
export async function openRoomName(secret: Uint8Array, sealed: Uint8Array): Promise<string | undefined> {
  if (sealed.length < 12 + 16) return undefined;
  try {
    const pt = await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: bufferSource(sealed.slice(0, 12)) }, await nameKey(secret), bufferSource(sealed.slice(12)));
    return new TextDecoder('utf-8', { fatal: true }).decode(pt);
  } catch {
    return undefined;
  }
}

// ---- join keys and pubMac --------------------------------------------------------------------

export type RoomJoinKeys = { secretKey: Uint8Array; publicKey: Uint8Array };

/** One join's ephemeral X25519 key pair (a new one per page load; kept across reconnections). */
export function newRoomJoinKeys(): RoomJoinKeys {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

/** HMAC-SHA256(identityKey, pub): only someone with the link can vouch for a public key. */
export function roomPubMac(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  return hmac(sha256, derive(secret, IDENTITY_INFO, 32), pub);
}

export function verifyRoomPubMac(secret: Uint8Array, pub: Uint8Array, mac: Uint8Array): boolean {
  if (pub.length !== 32 || mac.length !== 32) return false;
  return bytesEqual(roomPubMac(secret, pub), mac);
}

// ---- pairwise sealing --------------------------------------------------------------------------

function pairwiseKey(roomId: string, mySecret: Uint8Array, theirPub: Uint8Array, senderPub: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(mySecret, theirPub);
  } catch (cause) {
    // A low-order point yields an all-zero secret, which noble refuses.
    throw new CryptoError('unusable public key', { cause });
  }
  try {
    return hkdf(sha256, shared, utf8(roomId), concatBytes([PAIRWISE_INFO, senderPub, recipientPub]), 32);
  } finally {
    shared.fill(0);
  }
}

/** Seals `plaintext` from this join (`me`) to another participant's `pub`. */
export function sealPairwise(roomId: string, me: RoomJoinKeys, recipientPub: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return aesGcmSeal(pairwiseKey(roomId, me.secretKey, recipientPub, me.publicKey, recipientPub), plaintext);
}

/** Opens what `senderPub` sealed to this join; undefined when it does not authenticate. */
export async function openPairwise(roomId: string, me: RoomJoinKeys, senderPub: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  let key: Uint8Array;
  try {
    key = pairwiseKey(roomId, me.secretKey, senderPub, senderPub, me.publicKey);
  } catch {
    return undefined;
  }
  return aesGcmOpen(key, sealed);
}

// ---- chat ----------------------------------------------------------------------------------------

/** epoch u16 || nonce(12) || AES-256-GCM(chatKey(epoch), plaintext). */
export async function sealRoomChat(chatKey: Uint8Array, epoch: number, plaintext: Uint8Array): Promise<Uint8Array> {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff) throw new CryptoError('epoch out of range');
  const head = new Uint8Array([epoch >> 8, epoch & 0xff]);
  return concatBytes([head, await aesGcmSeal(chatKey, concatBytes([head, plaintext]))]);
}

/** The epoch a sealed chat message names, to pick its key. */
export function roomChatEpoch(sealed: Uint8Array): number | undefined {
  return sealed.length < 2 ? undefined : (sealed[0]! << 8) | sealed[1]!;
}

export async function openRoomChat(chatKey: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < 2) return undefined;
  const pt = await aesGcmOpen(chatKey, sealed.subarray(2));
  // The epoch is sealed inside too, so a message cannot be relabelled to another epoch.
  if (!pt || pt.length < 2 || pt[0] !== sealed[0] || pt[1] !== sealed[1]) return undefined;
  return pt.slice(2);
}
