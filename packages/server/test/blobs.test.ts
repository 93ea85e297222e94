import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { bytesEqual } from '@charla/protocol';
import { bytes, newUserDevice, startTestServer } from './helpers.ts';

test('[BLOB-1][BLOB-2] upload and download exact bytes; unknown and empty blobs', async () => {
  await using s = await startTestServer();
  const d = await newUserDevice(s.url);
  const body = bytes(100_000);
  const up = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/octet-stream' }, body });
  assert.equal(up.status, 200);
  const { blobId, size } = (await up.json()) as { blobId: string; size: number };
  assert.equal(size, body.length);
  const other = await newUserDevice(s.url);
  const down = await fetch(`${s.url}/v1/blobs/${blobId}`, { headers: { authorization: `Bearer ${other.token}` } });
  assert.equal(down.headers.get('content-type'), 'application/octet-stream');
  assert.ok(bytesEqual(new Uint8Array(await down.arrayBuffer()), body));
  const missing = await fetch(`${s.url}/v1/blobs/AAAAAAAAAAAAAAAAAAAAAA`, { headers: { authorization: `Bearer ${d.token}` } });
  assert.equal(((await missing.json()) as { code: string }).code, 'UNKNOWN_BLOB');
  const unauth = await fetch(`${s.url}/v1/blobs/${blobId}`);
  assert.equal(unauth.status, 401);
  const empty = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` }, body: new Uint8Array(0) });
  assert.equal(((await empty.json()) as { code: string }).code, 'BAD_REQUEST');
});

test('[BLOB-1] too large: refused by Content-Length, or mid-stream for a chunked upload', async () => {
  await using s = await startTestServer({ CHARLA_MAX_BLOB_BYTES: '10000' });
  const d = await newUserDevice(s.url);
  const declared = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` }, body: bytes(10_001) });
  assert.equal(declared.status, 413);
  assert.equal(((await declared.json()) as { code: string }).code, 'BLOB_TOO_LARGE');

  // Chunked: the server answers once it passes the limit, without reading the whole body.
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    let answered = false;
    const req = request(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    let sent = 0;
    const pump = () => {
      // Keeps sending until the answer arrives (well past the limit, never the whole 50 MB).
      if (answered || req.destroyed) return;
      if (sent > 50_000_000) return req.end();
      sent += 8192;
      if (req.write(bytes(8192))) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
  assert.equal(answer.status, 413);
  assert.equal(JSON.parse(answer.body).code, 'BLOB_TOO_LARGE');
  const ok = await fetch(`${s.url}/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` }, body: bytes(10_000) });
  assert.equal(ok.status, 200, 'exactly the limit is fine');
});
