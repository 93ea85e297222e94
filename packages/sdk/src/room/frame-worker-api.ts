/** Messages between a RoomSession and its frame worker (frame-worker.ts). */

export type TransformOptions =
  | { side: 'send'; kind: 'audio' | 'video' }
  | { side: 'recv'; kind: 'audio' | 'video'; participantId: string };

export type WorkerCommand =
  /** Receive keys of an epoch from `generation` on: `root` is R(epoch, generation). */
  | { t: 'epoch'; epoch: number; generation: number; root: Uint8Array }
  /** Encrypt outgoing frames with this participant's key of (epoch, generation). */
  | { t: 'send'; participantId: string; epoch: number; generation: number }
  /** Drop every key of an epoch (after a rotation's grace period). */
  | { t: 'forget'; epoch: number }
  | { t: 'stats'; requestId: number }
  /** Chromium's encoded streams of one sender or receiver (createEncodedStreams), transferred. */
  | { t: 'streams'; readable: ReadableStream; writable: WritableStream; options: TransformOptions };

export type WorkerStats = {
  encrypted: number;
  /** Per sender participant id. */
  decrypted: Record<string, number>;
  dropped: Record<string, number>;
  /** Why frames were dropped: no trailer (plaintext), no key for its epoch/generation, tag mismatch. */
  why: { notEncrypted: number; noKey: number; notAuthentic: number };
};

export type WorkerReply = { t: 'stats'; requestId: number; stats: WorkerStats };
