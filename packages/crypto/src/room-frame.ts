import type { SenderKeyMaterial } from './room-ratchet.ts';

/**
 * The encrypted media frame of rooms (SFrame-style, for WebRTC encoded transforms):
 *
 *   frame = clear header || AES-128-GCM(ciphertext || tag 16) || trailer 10
 *   trailer = clearBytes u8 || epoch u16 || generation u16 || counter u32 || 0xCA
 *   nonce   = salt XOR (0^8 || counter)          AAD = clear header || trailer || kind
 *
 * `kind` (one byte, not sent: 'a' for audio, 'v' for video) binds a frame to its track's kind, so
 * a sender's audio cannot be passed off as its video or the other way round.
 *
 * The clear header is the VP8 payload header (10 bytes on key frames, 3 otherwise): the packetizer
 * and the receiver's jitter buffer read it, and the SFU needs nothing else. It is authenticated.
 * Audio is encrypted whole. The counter must never repeat for one key: the sender keeps one
 * counter per (epoch, generation) across all its tracks.
 */

export const FRAME_TRAILER_BYTES = 10;
const TAG_BYTES = 16;
const MAGIC = 0xca;
const MAX_U16 = 0xffff;
export const MAX_FRAME_COUNTER = 0xffff_ffff;

export type FrameKeyId = { epoch: number; generation: number };
export type FrameKind = 'audio' | 'video';
export type FrameTrailer = FrameKeyId & { clearBytes: number; counter: number };
/** A sender key ready for WebCrypto: import once, use for every frame of that (epoch, generation). */
export type FrameKey = { key: CryptoKey; salt: Uint8Array };

export async function importFrameKey(material: SenderKeyMaterial): Promise<FrameKey> {
  if (material.key.length !== 16 || material.salt.length !== 12) throw new RangeError('a frame key is 16 bytes and its salt 12');
  const key = await globalThis.crypto.subtle.importKey('raw', new Uint8Array(material.key), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { key, salt: new Uint8Array(material.salt) };
}

/** How many leading bytes of a VP8 frame stay in the clear: its payload header. */
export function vp8ClearBytes(frame: Uint8Array): number {
  if (frame.length === 0) return 0;
  // RFC 6386 9.1: bit 0 of the frame tag is 0 on key frames, which add a start code and dimensions.
  const keyFrame = (frame[0]! & 0x01) === 0;
  return Math.min(frame.length, keyFrame ? 10 : 3);
}

function nonceFor(salt: Uint8Array, counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(salt);
  const view = new DataView(nonce.buffer);
  view.setUint32(8, view.getUint32(8) ^ counter);
  return nonce;
}

function writeTrailer(t: FrameTrailer): Uint8Array {
  const out = new Uint8Array(FRAME_TRAILER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint8(0, t.clearBytes);
  view.setUint16(1, t.epoch);
  view.setUint16(3, t.generation);
  view.setUint32(5, t.counter);
  view.setUint8(9, MAGIC);
  return out;
}

/** The key id and counter of an encrypted frame, or undefined when it is not one. */
export function readFrameTrailer(frame: Uint8Array): FrameTrailer | undefined {
  if (frame.length < FRAME_TRAILER_BYTES + TAG_BYTES) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset + frame.length - FRAME_TRAILER_BYTES, FRAME_TRAILER_BYTES);
  if (view.getUint8(9) !== MAGIC) return undefined;
  const clearBytes = view.getUint8(0);
  if (clearBytes > frame.length - FRAME_TRAILER_BYTES - TAG_BYTES) return undefined;
  return { clearBytes, epoch: view.getUint16(1), generation: view.getUint16(3), counter: view.getUint32(5) };
}

function additionalData(clear: Uint8Array, trailer: Uint8Array, kind: FrameKind): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(clear.length + FRAME_TRAILER_BYTES + 1);
  aad.set(clear, 0);
  aad.set(trailer, clear.length);
  aad[aad.length - 1] = kind === 'audio' ? 0x61 : 0x76;
  return aad;
}

export async function encryptFrame(key: FrameKey, kind: FrameKind, frame: Uint8Array, clearBytes: number, id: FrameKeyId, counter: number): Promise<Uint8Array> {
  if (!Number.isInteger(clearBytes) || clearBytes < 0 || clearBytes > 255 || clearBytes > frame.length) throw new RangeError('bad clear header length');
  if (!Number.isInteger(id.epoch) || id.epoch < 0 || id.epoch > MAX_U16) throw new RangeError('epoch out of range');
  if (!Number.isInteger(id.generation) || id.generation < 0 || id.generation > MAX_U16) throw new RangeError('generation out of range');
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_FRAME_COUNTER) throw new RangeError('frame counter exhausted');
  const trailer = writeTrailer({ ...id, clearBytes, counter });
  const clear = frame.subarray(0, clearBytes);
  const aad = additionalData(clear, trailer, kind);
  const sealed = new Uint8Array(
    await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonceFor(key.salt, counter), additionalData: aad, tagLength: 128 },
      key.key,
      new Uint8Array(frame.subarray(clearBytes)),
    ),
  );
  const out = new Uint8Array(clearBytes + sealed.length + FRAME_TRAILER_BYTES);
  out.set(clear, 0);
  out.set(sealed, clearBytes);
  out.set(trailer, clearBytes + sealed.length);
  return out;
}

/** The original frame, or undefined when it does not authenticate under `key` (drop it). */
export async function decryptFrame(key: FrameKey, kind: FrameKind, frame: Uint8Array, trailer: FrameTrailer): Promise<Uint8Array | undefined> {
  const { clearBytes } = trailer;
  const aad = additionalData(frame.subarray(0, clearBytes), frame.subarray(frame.length - FRAME_TRAILER_BYTES), kind);
  try {
    const plain = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonceFor(key.salt, trailer.counter), additionalData: aad, tagLength: 128 },
        key.key,
        new Uint8Array(frame.subarray(clearBytes, frame.length - FRAME_TRAILER_BYTES)),
      ),
    );
    const out = new Uint8Array(clearBytes + plain.length);
    out.set(frame.subarray(0, clearBytes), 0);
    out.set(plain, clearBytes);
    return out;
  } catch {
    return undefined;
  }
}
