import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * Rooms' media key schedule, the part the frame worker needs. It imports nothing but @noble/hashes
 * so that the worker bundle stays small (no zod, no MLS).
 *
 *   R(e, 0)   = the epoch secret of epoch e (epoch 0: HKDF(linkSecret, "charla room epoch 0 v1"))
 *   R(e, g+1) = HKDF(R(e, g), info "charla room ratchet v1")            (one step per join)
 *   sender(e, g, participantId) = HKDF(R(e, g), info "charla room sender v1" || participantId, 28)
 *                               = AES-128-GCM key (16) || nonce salt (12)
 *
 * The ratchet is one-way: a newcomer given R(e, g) cannot compute the keys of generations before g.
 */

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const RATCHET_INFO = utf8('charla room ratchet v1');
const SENDER_INFO = utf8('charla room sender v1');
const CHAT_INFO = utf8('charla room chat v1');

export const ROOM_SECRET_BYTES = 32;
/** How many generations a receiver derives forward at most from what it holds, per frame. */
export const MAX_GENERATION_JUMP = 256;

/** R(e, g+1) from R(e, g). */
export function ratchetRoot(root: Uint8Array): Uint8Array {
  if (root.length !== ROOM_SECRET_BYTES) throw new RangeError('a ratchet root is 32 bytes');
  return hkdf(sha256, root, undefined, RATCHET_INFO, ROOM_SECRET_BYTES);
}

/** R(e, base + steps) from R(e, base). */
export function ratchetRootBy(root: Uint8Array, steps: number): Uint8Array {
  if (!Number.isInteger(steps) || steps < 0 || steps > MAX_GENERATION_JUMP) throw new RangeError('ratchet steps out of range');
  let out = root;
  for (let i = 0; i < steps; i++) out = ratchetRoot(out);
  return out;
}

export type SenderKeyMaterial = { key: Uint8Array; salt: Uint8Array };

/** One sender's frame key and nonce salt for one (epoch, generation) root. */
export function senderKeyMaterial(root: Uint8Array, participantId: string): SenderKeyMaterial {
  if (root.length !== ROOM_SECRET_BYTES) throw new RangeError('a ratchet root is 32 bytes');
  const pid = utf8(participantId);
  const info = new Uint8Array(SENDER_INFO.length + pid.length);
  info.set(SENDER_INFO, 0);
  info.set(pid, SENDER_INFO.length);
  const okm = hkdf(sha256, root, undefined, info, 28);
  return { key: okm.slice(0, 16), salt: okm.slice(16, 28) };
}

/** The in-room chat key of an epoch: from the epoch secret R(e, 0), shared with newcomers as is. */
export function roomChatKey(epochSecret: Uint8Array): Uint8Array {
  if (epochSecret.length !== ROOM_SECRET_BYTES) throw new RangeError('an epoch secret is 32 bytes');
  return hkdf(sha256, epochSecret, undefined, CHAT_INFO, 32);
}
