import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomId } from '@charla/protocol';
import { blobStoreContract } from '../src/blobs/blob-store-contract.ts';
import { S3BlobStore, S3RequestError, objectUrl } from '../src/blobs/s3-blob-store.ts';
import { Secret } from '../src/config/secret.ts';
import { S3RVER_KEY, startTestS3 } from './s3-server.ts';

blobStoreContract(test, async () => {
  const s3 = await startTestS3();
  const spoolDir = await mkdtemp(join(tmpdir(), 'charla-s3-spool-'));
  const store = new S3BlobStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'blobs/', forcePathStyle: true, accessKeyId: S3RVER_KEY, secretAccessKey: new Secret(S3RVER_KEY), spoolDir });
  return {
    store,
    async leftovers() {
      return [...(await s3.objects()), ...(await readdir(spoolDir)).map((f) => `spool/${f}`)];
    },
    async dispose() {
      await s3[Symbol.asyncDispose]();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}, { serverKeepsCutOffUploads: true });

test('[S3] object URLs: path style and virtual-hosted style, with a base path and a key prefix', () => {
  assert.equal(objectUrl({ endpoint: 'http://127.0.0.1:9000', bucket: 'b1', forcePathStyle: true }, 'charla/abc').href, 'http://127.0.0.1:9000/b1/charla/abc');
  assert.equal(objectUrl({ endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'my-bucket', forcePathStyle: false }, 'abc').href, 'https://my-bucket.s3.eu-central-1.amazonaws.com/abc');
  assert.equal(objectUrl({ endpoint: 'https://gw.example.org/s3/', bucket: 'b1', forcePathStyle: true }, 'x y/abc').href, 'https://gw.example.org/s3/b1/x%20y/abc');
});

test('[S3] objects land under the key prefix; errors carry S3 codes and never the secret', async () => {
  await using s3 = await startTestS3();
  const secret = 'do-not-print-this-secret';
  const store = new S3BlobStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'charla/blobs/', forcePathStyle: true, accessKeyId: S3RVER_KEY, secretAccessKey: new Secret(S3RVER_KEY) });
  const id = randomId(16);
  await store.put(id, Readable.from([Buffer.from('ciphertext')]), 100, 10);
  assert.deepEqual(await s3.objects(), [`charla/blobs/${id}`]);

  const wrongKey = new S3BlobStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: '', forcePathStyle: true, accessKeyId: 'nobody', secretAccessKey: new Secret(secret) });
  const error = await wrongKey.put(randomId(16), Readable.from([Buffer.from('x')]), 100, 1).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof S3RequestError, String(error));
  assert.equal(error.status, 403);
  assert.equal(error.code, 'InvalidAccessKeyId');
  assert.ok(!error.message.includes(secret) && !JSON.stringify(error).includes(secret));

  const noBucket = new S3BlobStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: 'missing-bucket', prefix: '', forcePathStyle: true, accessKeyId: S3RVER_KEY, secretAccessKey: new Secret(S3RVER_KEY) });
  const missing = await noBucket.put(randomId(16), Readable.from([Buffer.from('x')]), 100, 1).then(() => undefined, (e: unknown) => e);
  assert.ok(missing instanceof S3RequestError && missing.code === 'NoSuchBucket', String(missing));
});
