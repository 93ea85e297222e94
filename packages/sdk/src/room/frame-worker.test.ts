import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epochZeroSecret, newRoomSecret } from '@charla/crypto';
import { encryptFrame, importFrameKey, ratchetRoot, readFrameTrailer, senderKeyMaterial } from '@charla/crypto/room-media';
import type { TransformOptions, WorkerCommand, WorkerReply } from './frame-worker-api.ts';

// The worker module installs its handlers on the global scope; here the test plays the page
// (postMessage → onmessage) and WebRTC (onrtctransform with a readable and a writable of frames).
type Frame = { data: ArrayBuffer };
type Scope = {
  onmessage: (event: { data: WorkerCommand }) => void;
  onrtctransform: (event: { transformer: { readable: ReadableStream<Frame>; writable: WritableStream<Frame>; options: TransformOptions } }) => void;
  postMessage: (message: WorkerReply) => void;
};
const scope = globalThis as unknown as Scope;
const replies: WorkerReply[] = [];
scope.postMessage = (m) => replies.push(m);
await import('./frame-worker.ts');

const A = 'A'.repeat(22);
const B = 'B'.repeat(22);
const importFrameKeyForTest = (root: Uint8Array, participantId: string) => importFrameKey(senderKeyMaterial(root, participantId));
const post = (cmd: WorkerCommand) => scope.onmessage({ data: cmd });

async function run(options: TransformOptions, frames: Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const readable = new ReadableStream<Frame>({
    start(controller) {
      for (const f of frames) controller.enqueue({ data: new Uint8Array(f).buffer });
      controller.close();
    },
  });
  const writable = new WritableStream<Frame>({ write: (f) => void out.push(new Uint8Array(f.data)), close: () => done() });
  scope.onrtctransform({ transformer: { readable, writable, options } });
  await finished;
  return out;
}

function vp8(key: boolean, n: number): Uint8Array {
  const f = new Uint8Array(200).fill(n);
  f[0] = key ? 0x10 : 0x11;
  return f;
}

describe('frame worker', () => {
  const secret = newRoomSecret();
  const e0 = epochZeroSecret(secret);

  it('sends nothing before it has a key', async () => {
    assert.deepEqual(await run({ side: 'send', kind: 'video' }, [vp8(true, 1)]), []);
  });

  it('encrypts outgoing frames and decrypts them for the right sender only', async () => {
    post({ t: 'epoch', epoch: 0, generation: 0, root: e0 });
    post({ t: 'send', participantId: A, epoch: 0, generation: 0 });
    const frames = [vp8(true, 1), vp8(false, 2), vp8(false, 3)];
    const sent = await run({ side: 'send', kind: 'video' }, frames);
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[0]!.subarray(0, 10), frames[0]!.subarray(0, 10), 'key frame header in the clear');
    assert.notDeepEqual(sent[1]!.subarray(3, 50), frames[1]!.subarray(3, 50));
    const audio = await run({ side: 'send', kind: 'audio' }, [new Uint8Array(60).fill(9)]);
    assert.deepEqual(
      [...sent, ...audio].map((f) => readFrameTrailer(f)!.counter),
      [0, 1, 2, 3],
      'one counter per key across tracks: a nonce never repeats',
    );
    assert.equal(readFrameTrailer(audio[0]!)!.clearBytes, 0, 'audio is encrypted whole');

    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: A }, sent), frames);
    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: B }, sent), [], 'another sender’s key does not open it');
    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: A }, frames), [], 'plaintext frames are dropped');
  });

  it('drops frames under a key it was never given (a wrong link secret)', async () => {
    const wrong = await importFrameKeyForTest(epochZeroSecret(newRoomSecret()), A);
    const forged = await encryptFrame(wrong, 'video', vp8(true, 5), 10, { epoch: 0, generation: 0 }, 77);
    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: A }, [forged]), []);
    post({ t: 'stats', requestId: 1 });
    const stats = replies.find((r) => r.requestId === 1)!.stats;
    assert.equal(stats.decrypted[A], 3);
    assert.ok(stats.dropped[A]! >= 4);
  });

  it('derives later generations forward, and forgets a whole epoch on request', async () => {
    const g3 = ratchetRoot(ratchetRoot(ratchetRoot(e0)));
    const key = await importFrameKeyForTest(g3, B);
    const frame = await encryptFrame(key, 'video', vp8(false, 6), 3, { epoch: 0, generation: 3 }, 0);
    assert.equal((await run({ side: 'recv', kind: 'video', participantId: B }, [frame])).length, 1);
    post({ t: 'forget', epoch: 0 });
    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: B }, [frame]), []);
    assert.deepEqual(await run({ side: 'send', kind: 'video' }, [vp8(true, 1)]), [], 'no key for the epoch it sends in: nothing goes out');
  });
});

describe('frame worker in a long call', () => {
  it('follows a sender hundreds of generations ahead when it gets there step by step', async () => {
    const e0 = epochZeroSecret(newRoomSecret());
    post({ t: 'epoch', epoch: 7, generation: 0, root: e0 });
    let root = e0;
    for (let g = 1; g <= 600; g++) {
      root = ratchetRoot(root);
      if (g % 200 !== 0) continue;
      const frame = await encryptFrame(await importFrameKeyForTest(root, A), 'video', vp8(false, g & 0xff), 3, { epoch: 7, generation: g }, 0);
      assert.equal((await run({ side: 'recv', kind: 'video', participantId: A }, [frame])).length, 1, `generation ${g}`);
    }
    // A jump far beyond what it derived is refused (bounded work per frame).
    for (let g = 601; g <= 1000; g++) root = ratchetRoot(root);
    const far = await encryptFrame(await importFrameKeyForTest(root, A), 'video', vp8(false, 1), 3, { epoch: 7, generation: 1000 }, 0);
    assert.deepEqual(await run({ side: 'recv', kind: 'video', participantId: A }, [far]), []);
  });
});

describe('frame worker with transferred encoded streams (Chromium createEncodedStreams)', () => {
  it('encrypts through a piped pair of streams like through onrtctransform', async () => {
    post({ t: 'epoch', epoch: 9, generation: 0, root: epochZeroSecret(newRoomSecret()) });
    post({ t: 'send', participantId: B, epoch: 9, generation: 0 });
    const out: Uint8Array[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const readable = new ReadableStream<Frame>({
      start(controller) {
        controller.enqueue({ data: new Uint8Array(vp8(true, 4)).buffer });
        controller.close();
      },
    });
    const writable = new WritableStream<Frame>({ write: (f) => void out.push(new Uint8Array(f.data)), close: () => done() });
    scope.onmessage({ data: { t: 'streams', readable, writable, options: { side: 'send', kind: 'video' } } });
    await finished;
    assert.equal(out.length, 1);
    assert.deepEqual(readFrameTrailer(out[0]!), { clearBytes: 10, epoch: 9, generation: 0, counter: 0 });
  });
});
