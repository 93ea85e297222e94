import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, toBase64Url } from './bytes.ts';

test('base64url round-trips every length and matches Buffer', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    const text = toBase64Url(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64url'));
    assert.deepEqual(fromBase64Url(text), bytes);
  }
});

test('base64url rejects characters outside the alphabet', () => {
  assert.throws(() => fromBase64Url('ab+c'), TypeError);
  assert.throws(() => fromBase64Url('a'), TypeError);
});
