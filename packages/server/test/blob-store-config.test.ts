import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../src/index.ts';

const SECRET = 'wJalrXUtnFEMI-very-secret-value';

test('[CFG-5] the blob store is a directory by default', () => {
  assert.deepEqual(loadConfig({}).blobStore, { kind: 'dir' });
});

test('[CFG-5] s3: settings are read, the endpoint defaults to AWS for the region', () => {
  const c = loadConfig({ CHARLA_BLOB_STORE: 's3', CHARLA_S3_BUCKET: 'charla-blobs', CHARLA_S3_REGION: 'eu-central-1', CHARLA_S3_ACCESS_KEY_ID: 'AKID', CHARLA_S3_SECRET_ACCESS_KEY: SECRET, CHARLA_S3_PREFIX: 'blobs/' });
  assert.equal(c.blobStore.kind, 's3');
  if (c.blobStore.kind !== 's3') return;
  assert.equal(c.blobStore.endpoint, 'https://s3.eu-central-1.amazonaws.com');
  assert.equal(c.blobStore.bucket, 'charla-blobs');
  assert.equal(c.blobStore.prefix, 'blobs/');
  assert.equal(c.blobStore.forcePathStyle, false);
  assert.equal(c.blobStore.secretAccessKey.reveal(), SECRET);
  const self = loadConfig({ CHARLA_BLOB_STORE: 'S3', CHARLA_S3_ENDPOINT: 'http://127.0.0.1:9000/', CHARLA_S3_BUCKET: 'b12', CHARLA_S3_ACCESS_KEY_ID: 'k', CHARLA_S3_SECRET_ACCESS_KEY: 's', CHARLA_S3_FORCE_PATH_STYLE: 'true' });
  assert.ok(self.blobStore.kind === 's3' && self.blobStore.endpoint === 'http://127.0.0.1:9000' && self.blobStore.forcePathStyle);
});

test('[CFG-5] s3 without bucket or keys: each missing setting is named', () => {
  const err = (() => {
    try {
      loadConfig({ CHARLA_BLOB_STORE: 's3' });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.problems, [
    'CHARLA_S3_BUCKET is required when CHARLA_BLOB_STORE=s3',
    'CHARLA_S3_ACCESS_KEY_ID is required when CHARLA_BLOB_STORE=s3',
    'CHARLA_S3_SECRET_ACCESS_KEY is required when CHARLA_BLOB_STORE=s3',
  ]);
  assert.throws(() => loadConfig({ CHARLA_BLOB_STORE: 'nfs' }), /CHARLA_BLOB_STORE must be one of dir, s3/);
  assert.throws(() => loadConfig({ CHARLA_S3_ENDPOINT: 'ftp://x' }), /CHARLA_S3_ENDPOINT must be an http\(s\) URL/);
  assert.throws(() => loadConfig({ CHARLA_S3_FORCE_PATH_STYLE: 'yes' }), /CHARLA_S3_FORCE_PATH_STYLE must be true or false/);
});

test('[CFG-5] the secret access key never prints: JSON (logs), inspect, strings, config errors', () => {
  const c = loadConfig({ CHARLA_BLOB_STORE: 's3', CHARLA_S3_BUCKET: 'bucket', CHARLA_S3_ACCESS_KEY_ID: 'AKID', CHARLA_S3_SECRET_ACCESS_KEY: SECRET });
  assert.ok(!JSON.stringify(c).includes(SECRET));
  assert.ok(JSON.stringify(c).includes('[redacted]'));
  assert.ok(!inspect(c, { depth: 10 }).includes(SECRET));
  assert.ok(!`${c.blobStore.kind === 's3' ? c.blobStore.secretAccessKey : ''}`.includes(SECRET));
  try {
    loadConfig({ CHARLA_BLOB_STORE: 's3', CHARLA_S3_SECRET_ACCESS_KEY: SECRET, CHARLA_PORT: 'x' });
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError && !e.message.includes(SECRET));
  }
});
