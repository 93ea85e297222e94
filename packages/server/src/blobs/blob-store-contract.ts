import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomId } from '@charla/protocol';
import { BlobTooLargeError, type BlobStore } from './blob-store.ts';

type TestFn = (name: string, fn: () => Promise<void>) => unknown;

export interface BlobStoreUnderTest {
  readonly store: BlobStore;
  /** Every file or object the store keeps in its backing storage (temp and spool files included). */
  leftovers(): Promise<string[]>;
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /**
   * The backing server may keep the part of an upload that was cut off mid-body (s3rver does;
   * AWS S3 never creates an object from an incomplete PutObject). The store then cleans up as
   * best it can, and the contract does not check what such an upload left behind.
   */
  readonly serverKeepsCutOffUploads?: boolean;
}

const MiB = 1024 * 1024;

/** A body of `chunks` distinct chunks made on demand, as an upload arrives; `pulled` counts bytes handed out. */
function source(chunks: number, chunkBytes: number, fail?: Error): Readable & { pulled: number; digest(): string } {
  const hash = createHash('sha256');
  let made = 0;
  const stream = new Readable({
    read() {
      if (made === chunks) {
        if (fail) this.destroy(fail);
        else this.push(null);
        return;
      }
      const chunk = randomBytes(chunkBytes);
      hash.update(chunk);
      made++;
      (stream as Readable & { pulled: number }).pulled += chunk.length;
      this.push(chunk);
    },
  });
  return Object.assign(stream, { pulled: 0, digest: () => hash.copy().digest('hex') });
}

async function digestOf(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(stream, async function* (chunks: AsyncIterable<Buffer>) {
    for await (const c of chunks) {
      hash.update(c);
      bytes += c.length;
    }
    yield* [];
  });
  return { hex: hash.digest('hex'), bytes };
}

/** Live memory held in buffers, sampled after a full collection while `work` runs. */
async function peakBufferGrowth(work: () => Promise<void>): Promise<number> {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as (options: object) => void;
  // Synchronous and thorough, so that buffers already dropped are not counted.
  const gc = () => collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  gc();
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  };
  const timer = setInterval(sample, 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

/**
 * The behaviour every BlobStore must show, run against a fresh store per case: the directory
 * store in dir-blob-store.test.ts, the S3 store against a local S3 server in test/s3-blob-store.test.ts.
 */
export function blobStoreContract(test: TestFn, make: () => Promise<BlobStoreUnderTest>, options: ContractOptions = {}): void {
  const run = (name: string, fn: (t: BlobStoreUnderTest) => Promise<void>) =>
    test(`[blobs] ${name}`, async () => {
      const t = await make();
      try {
        await fn(t);
      } finally {
        await t.dispose();
      }
    });

  run('MB-sized round trip, with and without a declared length', async ({ store }) => {
    for (const declared of [true, false]) {
      const id = randomId(16);
      const body = source(40, 128 * 1024);
      const length = 40 * 128 * 1024;
      assert.deepEqual(await store.put(id, body, 10 * MiB, declared ? length : undefined), { size: length });
      assert.equal(await store.size(id), length);
      const got = await store.get(id);
      assert.ok(got);
      assert.equal(got.size, length);
      assert.deepEqual(await digestOf(got.stream), { hex: body.digest(), bytes: length });
    }
  });

  run('streams: memory stays far below the blob size on put and get', async ({ store }) => {
    const blobBytes = 48 * MiB;
    for (const declared of [true, false]) {
      const id = randomId(16);
      const body = source(blobBytes / (256 * 1024), 256 * 1024);
      const putPeak = await peakBufferGrowth(async () => {
        await store.put(id, body, blobBytes, declared ? blobBytes : undefined);
      });
      assert.ok(putPeak < 16 * MiB, `put held ${(putPeak / MiB).toFixed(1)} MiB at once`);
      let digest = '';
      const getPeak = await peakBufferGrowth(async () => {
        const got = await store.get(id);
        assert.ok(got);
        digest = (await digestOf(got.stream)).hex;
      });
      assert.ok(getPeak < 16 * MiB, `get held ${(getPeak / MiB).toFixed(1)} MiB at once`);
      assert.equal(digest, body.digest());
    }
  });

  run('size limit: refused mid-stream, nothing left behind, the rest of the body never read', async (t) => {
    const before = await t.leftovers();
    const id = randomId(16);
    const body = source(1000, 64 * 1024);
    const error = await rejection(t.store.put(id, body, 1 * MiB));
    assert.ok(error instanceof BlobTooLargeError, String(error));
    assert.ok(body.pulled < 4 * MiB, `read ${body.pulled} bytes of a 64 MB body`);
    assert.equal(await t.store.get(id), undefined);
    assert.equal(await t.store.size(id), undefined);
    assert.deepEqual(await t.leftovers(), before);
    // Exactly the limit is fine.
    const ok = source(16, 64 * 1024);
    assert.deepEqual(await t.store.put(id, ok, 1 * MiB), { size: 1 * MiB });
  });

  run('size limit: a declared length above it is refused before reading', async (t) => {
    const before = await t.leftovers();
    const id = randomId(16);
    const body = source(32, 64 * 1024);
    assert.ok((await rejection(t.store.put(id, body, 1 * MiB, 2 * MiB))) instanceof BlobTooLargeError);
    assert.equal(body.pulled, 0);
    assert.equal(await t.store.size(id), undefined);
    assert.deepEqual(await t.leftovers(), before);
  });

  run('a body that fails or differs from its declared length is refused and leaves nothing behind', async (t) => {
    const before = await t.leftovers();
    const chunk = 64 * 1024;
    const cases = [
      { name: 'fails, no length', body: source(8, chunk, new Error('client went away')), length: undefined, cutOff: false },
      { name: 'longer than declared', body: source(16, chunk), length: 8 * chunk, cutOff: true },
      { name: 'fails, declared length', body: source(8, chunk, new Error('client went away')), length: 16 * chunk, cutOff: true },
      { name: 'shorter than declared', body: source(8, chunk), length: 16 * chunk, cutOff: true },
    ];
    for (const c of cases) {
      const id = randomId(16);
      await rejection(t.store.put(id, c.body, 10 * MiB, c.length));
      if (c.cutOff && options.serverKeepsCutOffUploads) continue;
      assert.equal(await t.store.size(id), undefined, c.name);
      assert.equal(await t.store.get(id), undefined, c.name);
    }
    if (!options.serverKeepsCutOffUploads) assert.deepEqual(await t.leftovers(), before);
  });

  run('unknown ids: get and size say undefined, delete is fine', async ({ store }) => {
    const id = randomId(16);
    assert.equal(await store.get(id), undefined);
    assert.equal(await store.size(id), undefined);
    await store.delete(id);
    assert.equal(await store.get('../../etc/passwd'), undefined);
  });

  run('delete removes the blob and only that blob; twice is fine', async (t) => {
    const [a, b] = [randomId(16), randomId(16)];
    await t.store.put(a, Readable.from([Buffer.from('first')]), 100);
    await t.store.put(b, Readable.from([Buffer.from('second')]), 100, 6);
    await t.store.delete(a);
    await t.store.delete(a);
    assert.equal(await t.store.get(a), undefined);
    assert.equal(await t.store.size(a), undefined);
    const kept = await t.store.get(b);
    assert.ok(kept);
    assert.equal(Buffer.concat(await kept.stream.toArray()).toString(), 'second');
    await t.store.delete(b);
    assert.deepEqual(await t.leftovers(), []);
  });
}
