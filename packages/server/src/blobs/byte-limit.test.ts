import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError } from './blob-store.ts';
import { ByteLimit } from './byte-limit.ts';

/** Runs `chunks` through a ByteLimit and reports what its reader saw and how it ended. */
async function through(chunks: Buffer[], max: number, exact: boolean): Promise<{ seen: number; error: unknown }> {
  let seen = 0;
  const error = await pipeline(Readable.from(chunks), new ByteLimit(max, { exact }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) seen += chunk.length;
  }).then(() => undefined, (e: unknown) => e);
  return { seen, error };
}

test('exact: a body of exactly the length passes whole, in any chunking', async () => {
  for (const sizes of [[8], [1, 7], [4, 4], [7, 1], [1, 1, 1, 1, 1, 1, 1, 1]]) {
    const { seen, error } = await through(sizes.map((n) => Buffer.alloc(n, 1)), 8, true);
    assert.equal(error, undefined, String(sizes));
    assert.equal(seen, 8, String(sizes));
  }
  assert.deepEqual(await through([], 0, true), { seen: 0, error: undefined });
});

test('exact: a longer body fails and its reader never gets the full declared length', async () => {
  for (const sizes of [[8, 1], [4, 4, 4], [9]]) {
    const { seen, error } = await through(sizes.map((n) => Buffer.alloc(n, 1)), 8, true);
    assert.ok(error instanceof BlobTooLargeError, String(error));
    assert.ok(seen < 8, `reader saw ${seen} bytes of ${String(sizes)}`);
  }
});

test('exact: a shorter body fails; without exact it passes', async () => {
  const short = await through([Buffer.alloc(5)], 8, true);
  assert.match(String(short.error), /ended after 5 of 8/);
  assert.deepEqual(await through([Buffer.alloc(5)], 8, false), { seen: 5, error: undefined });
});
