/**
 * `@charla/crypto/room-media`: what the frame worker needs (frame format and the sender key
 * ratchet) without the rest of the crypto package, so that the worker bundle stays small.
 */
export { ratchetRoot, ratchetRootBy, senderKeyMaterial, roomChatKey, ROOM_SECRET_BYTES, MAX_GENERATION_JUMP, type SenderKeyMaterial } from './room-ratchet.ts';
export {
  importFrameKey,
  encryptFrame,
  decryptFrame,
  readFrameTrailer,
  vp8ClearBytes,
  FRAME_TRAILER_BYTES,
  MAX_FRAME_COUNTER,
  type FrameKey,
  type FrameKeyId,
  type FrameKind,
  type FrameTrailer,
} from './room-frame.ts';
