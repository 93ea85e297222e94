import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { bytesEqual } from '@charla/protocol';
import { bytes, newUserDevice, startTestServer } from './helpers.ts';
import { S3RVER_KEY, startTestS3 } from './s3-server.ts';

const SECRET = 'e2e-secret-that-must-never-be-logged';

function s3Env(s3: { endpoint: string; bucket: string }): Record<string, string> {
  return {
    CHARLA_BLOB_STORE: 's3',
    CHARLA_S3_ENDPOINT: s3.endpoint,
    CHARLA_S3_BUCKET: s3.bucket,
    CHARLA_S3_PREFIX: 'charla/',
    CHARLA_S3_FORCE_PATH_STYLE: 'true',
    CHARLA_S3_ACCESS_KEY_ID: S3RVER_KEY,
    CHARLA_S3_SECRET_ACCESS_KEY: SECRET,
  };
}

/** Uploads with Transfer-Encoding: chunked, so the server does not know the length up front. */
function uploadChunked(url: string, token: string, body: Uint8Array): Promise<{ status: number; json: { blobId: string; size: number; code?: string } }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    // A server that refuses early may close before the whole body went out; its answer counts.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    let sent = 0;
    const pump = (): void => {
      if (answered || req.destroyed) return;
      if (sent >= body.length) return void req.end();
      const chunk = body.subarray(sent, sent + 16_384);
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

test('[BLOB-1][BLOB-2] CHARLA_BLOB_STORE=s3: attachments go to the bucket through the HTTP API, not to local disk', async () => {
  await using s3 = await startTestS3();
  await using s = await startTestServer(s3Env(s3));
  const ana = await newUserDevice(s.url);
  const bruno = await newUserDevice(s.url);

  const body = bytes(3_000_000);
  const up = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'application/octet-stream' }, body });
  assert.equal(up.status, 200);
  const { blobId, size } = (await up.json()) as { blobId: string; size: number };
  assert.equal(size, body.length);
  assert.ok(bytesEqual(new Uint8Array(await s3.read(`charla/${blobId}`)), body), 'the exact bytes are in the bucket');

  const down = await fetch(`${s.url}/v1/blobs/${blobId}`, { headers: { authorization: `Bearer ${bruno.token}` } });
  assert.equal(down.status, 200);
  assert.equal(down.headers.get('content-length'), String(body.length));
  assert.ok(bytesEqual(new Uint8Array(await down.arrayBuffer()), body));

  // Unknown length (chunked): spooled, then stored the same way.
  const chunkedBody = bytes(250_000);
  const chunked = await uploadChunked(s.url, ana.token, chunkedBody);
  assert.equal(chunked.status, 200);
  assert.ok(bytesEqual(new Uint8Array(await s3.read(`charla/${chunked.json.blobId}`)), chunkedBody));
  assert.deepEqual(await s3.objects(), [`charla/${blobId}`, `charla/${chunked.json.blobId}`].sort());

  const missing = await fetch(`${s.url}/v1/blobs/AAAAAAAAAAAAAAAAAAAAAA`, { headers: { authorization: `Bearer ${ana.token}` } });
  assert.equal(((await missing.json()) as { code: string }).code, 'UNKNOWN_BLOB');

  const local = await readdir(s.dataDir, { recursive: true });
  assert.ok(!local.some((f) => f.includes('blobs') || f.includes(blobId)), `nothing blob-like on local disk: ${local.join(', ')}`);
  assert.ok(!s.logs.join('').includes(SECRET), 'the secret access key is never logged');
});

test('[BLOB-1] CHARLA_BLOB_STORE=s3: too large is refused (declared or mid-stream) and nothing lands in the bucket', async () => {
  await using s3 = await startTestS3();
  await using s = await startTestServer({ ...s3Env(s3), CHARLA_MAX_BLOB_BYTES: '100000' });
  const d = await newUserDevice(s.url);
  const declared = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` }, body: bytes(100_001) });
  assert.equal(declared.status, 413);
  const chunked = await uploadChunked(s.url, d.token, bytes(300_000));
  assert.equal(chunked.status, 413);
  assert.equal(chunked.json.code, 'BLOB_TOO_LARGE');
  assert.deepEqual(await s3.objects(), []);
  const ok = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` }, body: bytes(100_000) });
  assert.equal(ok.status, 200, 'exactly the limit is fine');
  assert.equal((await s3.objects()).length, 1);
});
