import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, messageId, toBase64Url } from './bytes.ts';
import { MessageId } from './ids.ts';

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

test('message ids are valid, unique, and sort by the time they were made', () => {
  const times = [0, 1, 63, 64, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_004_096, 2 ** 47];
  const ids = times.map((t) => messageId(t));
  for (const id of ids) {
    assert.equal(id.length, 22);
    assert.ok(MessageId.safeParse(id).success, id);
  }
  // As text, in the order of their times (what keeps the server's index compact).
  assert.deepEqual([...ids].sort(), ids);
  const same = new Set(Array.from({ length: 1_000 }, () => messageId(1_700_000_000_000)));
  assert.equal(same.size, 1_000);
  assert.ok([...same].every((id) => id.startsWith(ids[4]!.slice(0, 8))));
});
