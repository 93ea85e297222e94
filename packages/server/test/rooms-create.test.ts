import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CreateRoomResponse, fromBase64Url, toBase64Url } from '@charla/protocol';
import { serveWebApp } from '../src/http/web-app.ts';
import { api, newUserDevice, startTestServer, type TestServer } from './helpers.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('POST /v1/rooms', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s[Symbol.asyncDispose]());

  it('[ROOM-2] creates a room; the database holds only SHA-256 of the access key and host token', async () => {
    const d = await newUserDevice(s.url);
    const accessKey = toBase64Url(randomBytes(32));
    const r = await api(s.url, 'POST', '/v1/rooms', { accessKey, lobby: true }, d.token);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const created = CreateRoomResponse.parse(r.json);
    assert.ok(created.expiresAt > Date.now() + 3_600_000, 'an unused room lives hours, not seconds');
    const db = new DatabaseSync(join(s.dataDir, 'charla.sqlite'), { readOnly: true });
    try {
      const row = db.prepare('SELECT * FROM rooms WHERE room_id = ?').get(created.roomId) as Record<string, unknown>;
      assert.ok(row);
      assert.deepEqual(Buffer.from(row.access_key_hash as Uint8Array), sha256(fromBase64Url(accessKey)));
      assert.deepEqual(Buffer.from(row.host_token_hash as Uint8Array), sha256(fromBase64Url(created.hostToken)));
      assert.equal(row.created_by, d.deviceId);
      assert.equal(row.lobby, 1);
    } finally {
      db.close();
    }
    // Nothing secret in the database file or the logs, in any encoding.
    const file = readFileSync(join(s.dataDir, 'charla.sqlite'));
    for (const secret of [accessKey, created.hostToken]) {
      assert.ok(!file.includes(Buffer.from(fromBase64Url(secret))), 'raw secret bytes in the database');
      assert.ok(!file.includes(Buffer.from(secret)), 'secret text in the database');
      assert.ok(!s.logs.join('').includes(secret), 'secret in the logs');
    }
  });

  it('[ROOM-2] needs a session, a 32-byte access key, and is rate limited per device', async () => {
    const accessKey = toBase64Url(randomBytes(32));
    assert.equal((await api(s.url, 'POST', '/v1/rooms', { accessKey })).json.code, 'UNAUTHENTICATED');
    const d = await newUserDevice(s.url);
    const bad = await api(s.url, 'POST', '/v1/rooms', { accessKey: 'short' }, d.token);
    assert.deepEqual([bad.status, bad.json.code], [400, 'BAD_REQUEST']);
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await api(s.url, 'POST', '/v1/rooms', { accessKey }, d.token);
      assert.equal(r.status, 200);
      ids.add(r.json.roomId);
    }
    assert.equal(ids.size, 10, 'every room gets its own id');
    const limited = await api(s.url, 'POST', '/v1/rooms', { accessKey }, d.token);
    assert.deepEqual([limited.status, limited.json.code], [429, 'RATE_LIMITED']);
    assert.ok(limited.json.retryAfterMs > 0);
    // Another device is not affected.
    const other = await newUserDevice(s.url);
    assert.equal((await api(s.url, 'POST', '/v1/rooms', { accessKey }, other.token)).status, 200);
  });
});

describe('room links in the web app', () => {
  it('[ROOM-1] /r/<roomId> gets the web app (index.html); the fragment never reaches the server', async () => {
    const webDir = mkdtempSync(join(tmpdir(), 'charla-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>charla</title>');
    const paths: string[] = [];
    const http = createServer((req, res) => {
      paths.push(req.url ?? '');
      void serveWebApp(req, res, (req.url ?? '/').split('?')[0]!, webDir).then((served) => served || res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const roomId = toBase64Url(randomBytes(16));
      const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/r/${roomId}#${toBase64Url(randomBytes(32))}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /<title>charla<\/title>/);
      assert.deepEqual(paths, [`/r/${roomId}`]);
    } finally {
      http.close();
      rmSync(webDir, { recursive: true, force: true });
    }
  });
});
