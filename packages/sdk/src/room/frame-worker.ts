/**
 * The encoded-transform worker of a RoomSession: encrypts every outgoing frame and decrypts every
 * incoming one (format: @charla/crypto room-frame.ts). One worker serves all of a session's senders
 * and receivers, so the frame counter of a key is shared by the audio and video tracks and a nonce
 * never repeats. Frames that do not decrypt are dropped, never passed to the decoder.
 *
 * The page tells it keys with `postMessage` (WorkerCommand); RTCRtpScriptTransform options say
 * which side a transform is on: { side: 'send', kind } or { side: 'recv', kind, participantId }.
 */
import {
  MAX_GENERATION_JUMP,
  decryptFrame,
  encryptFrame,
  importFrameKey,
  ratchetRoot,
  readFrameTrailer,
  senderKeyMaterial,
  vp8ClearBytes,
  type FrameKey,
} from '@charla/crypto/room-media';
import type { TransformOptions, WorkerCommand, WorkerStats } from './frame-worker-api.ts';

type EncodedFrame = { data: ArrayBuffer };
type Transformer = { readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame>; options: TransformOptions };
type Scope = {
  onrtctransform: ((event: { transformer: Transformer }) => void) | null;
  onmessage: ((event: MessageEvent<WorkerCommand>) => void) | null;
  postMessage(message: unknown): void;
};
const scope = globalThis as unknown as Scope;

type EpochKeys = { base: number; roots: Map<number, Uint8Array> };
const epochs = new Map<number, EpochKeys>();
const keys = new Map<string, Promise<FrameKey>>();
const counters = new Map<string, number>();
let sending: { participantId: string; epoch: number; generation: number } | undefined;
const stats: WorkerStats = { encrypted: 0, decrypted: {}, dropped: {}, why: { notEncrypted: 0, noKey: 0, notAuthentic: 0 } };

/** R(epoch, generation): from the nearest generation already derived, at most MAX_GENERATION_JUMP steps per frame. */
function rootFor(epoch: number, generation: number): Uint8Array | undefined {
  const e = epochs.get(epoch);
  if (!e || generation < e.base) return undefined;
  let g = e.base;
  for (const known of e.roots.keys()) if (known <= generation && known > g) g = known;
  if (generation - g > MAX_GENERATION_JUMP) return undefined;
  let root = e.roots.get(g)!;
  for (; g < generation; g++) {
    root = ratchetRoot(root);
    e.roots.set(g + 1, root);
  }
  return root;
}

function frameKey(participantId: string, epoch: number, generation: number): Promise<FrameKey> | undefined {
  const id = `${participantId}|${epoch}|${generation}`;
  let key = keys.get(id);
  if (!key) {
    const root = rootFor(epoch, generation);
    if (!root) return undefined;
    key = importFrameKey(senderKeyMaterial(root, participantId));
    keys.set(id, key);
  }
  return key;
}

function forgetEpoch(epoch: number): void {
  epochs.delete(epoch);
  for (const id of [...keys.keys()]) if (id.split('|')[1] === String(epoch)) keys.delete(id);
  for (const id of [...counters.keys()]) if (id.startsWith(`${epoch}|`)) counters.delete(id);
}

scope.onmessage = (event) => {
  const cmd = event.data;
  switch (cmd.t) {
    case 'epoch': {
      const existing = epochs.get(cmd.epoch);
      if (existing && existing.base <= cmd.generation) return;
      epochs.set(cmd.epoch, { base: cmd.generation, roots: new Map([[cmd.generation, new Uint8Array(cmd.root)]]) });
      for (const id of [...keys.keys()]) if (id.split('|')[1] === String(cmd.epoch)) keys.delete(id);
      return;
    }
    case 'send':
      sending = { participantId: cmd.participantId, epoch: cmd.epoch, generation: cmd.generation };
      return;
    case 'forget':
      forgetEpoch(cmd.epoch);
      return;
    case 'stats':
      scope.postMessage({ t: 'stats', requestId: cmd.requestId, stats });
      return;
    case 'streams':
      pipe(cmd.readable as ReadableStream<EncodedFrame>, cmd.writable as WritableStream<EncodedFrame>, cmd.options);
      return;
  }
};

function count(map: Record<string, number>, participantId: string): void {
  map[participantId] = (map[participantId] ?? 0) + 1;
}

async function encrypt(frame: EncodedFrame, kind: 'audio' | 'video', controller: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
  const s = sending;
  if (!s) return; // no key yet: send nothing rather than plaintext
  const key = frameKey(s.participantId, s.epoch, s.generation);
  if (!key) return;
  const counterId = `${s.epoch}|${s.generation}`;
  const counter = counters.get(counterId) ?? 0;
  counters.set(counterId, counter + 1);
  const data = new Uint8Array(frame.data);
  const clear = kind === 'video' ? vp8ClearBytes(data) : 0;
  const out = await encryptFrame(await key, kind, data, clear, { epoch: s.epoch, generation: s.generation }, counter);
  frame.data = out.buffer as ArrayBuffer;
  stats.encrypted++;
  controller.enqueue(frame);
}

async function decrypt(frame: EncodedFrame, kind: 'audio' | 'video', participantId: string, controller: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
  const data = new Uint8Array(frame.data);
  const trailer = readFrameTrailer(data);
  const key = trailer && frameKey(participantId, trailer.epoch, trailer.generation);
  const plain = trailer && key ? await decryptFrame(await key, kind, data, trailer) : undefined;
  if (!plain) {
    count(stats.dropped, participantId);
    stats.why[!trailer ? 'notEncrypted' : !key ? 'noKey' : 'notAuthentic']++;
    return;
  }
  frame.data = plain.buffer as ArrayBuffer;
  count(stats.decrypted, participantId);
  controller.enqueue(frame);
}

function pipe(readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>, options: TransformOptions): void {
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    transform: (frame, controller) =>
      (options.side === 'send' ? encrypt(frame, options.kind, controller) : decrypt(frame, options.kind, options.participantId, controller)).catch(() => undefined),
  });
  readable.pipeThrough(transform).pipeTo(writable).catch(() => undefined);
}

scope.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  pipe(readable, writable, options);
};
