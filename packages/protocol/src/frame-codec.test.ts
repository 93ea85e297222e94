import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, FrameDecodeError } from './frame-codec.ts';
import { ClientFrame } from './ws.ts';

test('[WS-2] a frame round-trips header and body', () => {
  const body = new Uint8Array([1, 2, 3, 250]);
  const frame = encodeFrame({ t: 'send', id: 1 }, [body.subarray(0, 2), body.subarray(2)]);
  const decoded = decodeFrame(frame);
  assert.deepEqual(decoded.header, { t: 'send', id: 1 });
  assert.deepEqual(decoded.body, body);
});

test('[WS-2] frames cut from a shared slab stay independent, and large or non-ASCII headers encode right', () => {
  const frames = Array.from({ length: 200 }, (_, i) => ({ i, frame: encodeFrame({ t: 'send', id: i, note: 'ñ€'.repeat(i % 3) }, new Uint8Array(97).fill(i)) }));
  for (const { i, frame } of frames) {
    const decoded = decodeFrame(frame);
    assert.deepEqual(decoded.header, { t: 'send', id: i, note: 'ñ€'.repeat(i % 3) });
    assert.deepEqual(decoded.body, new Uint8Array(97).fill(i));
  }
  const big = encodeFrame({ t: 'x', pad: 'é'.repeat(9_000) }, new Uint8Array(10_000).fill(7));
  assert.deepEqual(decodeFrame(big).header, { t: 'x', pad: 'é'.repeat(9_000) });
  assert.equal(decodeFrame(big).body?.length, 10_000);
});

test('[WS-2] truncated and non-JSON frames are refused with FrameDecodeError', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0, 0])), FrameDecodeError);
  assert.throws(() => decodeFrame(new Uint8Array([0, 0, 0, 9, 1])), FrameDecodeError);
  assert.throws(() => decodeFrame(new Uint8Array([0, 0, 0, 1, 0x7b])), FrameDecodeError);
});

test('client frames validate against the schema', () => {
  assert.equal(ClientFrame.safeParse({ t: 'ping', id: 3 }).success, true);
  assert.equal(ClientFrame.safeParse({ t: 'nope', id: 3 }).success, false);
  assert.equal(ClientFrame.safeParse({ t: 'send', id: 1, groupId: 'x', epoch: 0, msgId: 'abcdefgh' }).success, false);
});
