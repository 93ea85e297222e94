import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decryptFrame, encryptFrame, FRAME_TRAILER_BYTES, importFrameKey, readFrameTrailer, vp8ClearBytes } from './room-frame.ts';
import { epochZeroSecret, newRoomSecret } from './room-keys.ts';
import { ratchetRoot, senderKeyMaterial } from './room-ratchet.ts';

const ALICE = 'A'.repeat(22);
const BOB = 'B'.repeat(22);

/** A VP8 key frame starts with a frame tag whose bit 0 is 0, then the start code 9d 01 2a. */
function vp8Frame(key: boolean, size = 300): Uint8Array {
  const f = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
  f[0] = key ? 0x10 : 0x11;
  if (key) f.set([0x9d, 0x01, 0x2a], 3);
  return f;
}

async function keyFor(root: Uint8Array, participantId: string) {
  return importFrameKey(senderKeyMaterial(root, participantId));
}

describe('room frames', () => {
  it('keeps the VP8 payload header in the clear: 10 bytes on key frames, 3 otherwise', () => {
    assert.equal(vp8ClearBytes(vp8Frame(true)), 10);
    assert.equal(vp8ClearBytes(vp8Frame(false)), 3);
    assert.equal(vp8ClearBytes(new Uint8Array([0x10, 1])), 2);
    assert.equal(vp8ClearBytes(new Uint8Array()), 0);
  });

  it('[ROOM-13] round-trips video and audio frames and carries the key id and counter', async () => {
    const root = epochZeroSecret(newRoomSecret());
    const key = await keyFor(root, ALICE);
    const video = vp8Frame(true);
    const enc = await encryptFrame(key, 'video', video, vp8ClearBytes(video), { epoch: 2, generation: 5 }, 41);
    assert.equal(enc.length, video.length + 16 + FRAME_TRAILER_BYTES);
    assert.deepEqual(enc.subarray(0, 10), video.subarray(0, 10), 'the header stays readable');
    assert.notDeepEqual(enc.subarray(10, 40), video.subarray(10, 40), 'the rest is not');
    const trailer = readFrameTrailer(enc);
    assert.deepEqual(trailer, { clearBytes: 10, epoch: 2, generation: 5, counter: 41 });
    assert.deepEqual(await decryptFrame(key, 'video', enc, trailer!), video);

    const audio = new Uint8Array(80).fill(3);
    const encAudio = await encryptFrame(key, 'audio', audio, 0, { epoch: 0, generation: 0 }, 42);
    assert.notDeepEqual(encAudio.subarray(0, 80), audio);
    assert.deepEqual(await decryptFrame(key, 'audio', encAudio, readFrameTrailer(encAudio)!), audio);
  });

  it('[ROOM-13] fails with a wrong key: another room, another sender, another generation', async () => {
    const root = epochZeroSecret(newRoomSecret());
    const key = await keyFor(root, ALICE);
    const frame = vp8Frame(false);
    const enc = await encryptFrame(key, 'video', frame, 3, { epoch: 0, generation: 0 }, 1);
    const t = readFrameTrailer(enc)!;
    assert.equal(await decryptFrame(await keyFor(epochZeroSecret(newRoomSecret()), ALICE), 'video', enc, t), undefined);
    assert.equal(await decryptFrame(await keyFor(root, BOB), 'video', enc, t), undefined);
    assert.equal(await decryptFrame(await keyFor(ratchetRoot(root), ALICE), 'video', enc, t), undefined);
  });

  it('fails when any part is tampered with: clear header, ciphertext, tag or trailer', async () => {
    const key = await keyFor(epochZeroSecret(newRoomSecret()), ALICE);
    const frame = vp8Frame(true);
    const enc = await encryptFrame(key, 'video', frame, 10, { epoch: 1, generation: 1 }, 7);
    for (const index of [0, 5, 12, enc.length - FRAME_TRAILER_BYTES - 1, enc.length - 6]) {
      const bad = new Uint8Array(enc);
      bad[index]! ^= 0x01;
      const t = readFrameTrailer(bad);
      assert.ok(!t || (await decryptFrame(key, 'video', bad, t)) === undefined, `flipping byte ${index} must not decrypt`);
    }
    // The same frame presented as audio (a swapped track) does not open.
    assert.equal(await decryptFrame(key, 'audio', enc, readFrameTrailer(enc)!), undefined);
    // Moving the boundary of the clear header is tampering too.
    const moved = new Uint8Array(enc);
    moved[enc.length - FRAME_TRAILER_BYTES] = 3;
    assert.equal(await decryptFrame(key, 'video', moved, readFrameTrailer(moved)!), undefined);
  });

  it('uses a distinct nonce per counter and rejects what is not a frame', async () => {
    const key = await keyFor(epochZeroSecret(newRoomSecret()), ALICE);
    const frame = new Uint8Array(64);
    const a = await encryptFrame(key, 'audio', frame, 0, { epoch: 0, generation: 0 }, 1);
    const b = await encryptFrame(key, 'audio', frame, 0, { epoch: 0, generation: 0 }, 2);
    assert.notDeepEqual(a.subarray(0, 64), b.subarray(0, 64));
    assert.equal(readFrameTrailer(new Uint8Array(10)), undefined);
    assert.equal(readFrameTrailer(frame), undefined, 'no magic byte');
    await assert.rejects(encryptFrame(key, 'audio', frame, 0, { epoch: 0, generation: 0 }, 2 ** 32));
    await assert.rejects(encryptFrame(key, 'audio', frame, 0, { epoch: 70_000, generation: 0 }, 0));
  });
});
