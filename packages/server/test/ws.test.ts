import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '@charla/protocol';
import { bytes, newUserDevice, startTestServer, TestSocket } from './helpers.ts';

test('[WS-7] the first frame must be auth; otherwise NOT_AUTHENTICATED_YET and close 1008', async () => {
  await using s = await startTestServer();
  const ws = await TestSocket.open(s.url);
  const r = await ws.request({ t: 'ping' });
  assert.equal(r.header.code, 'NOT_AUTHENTICATED_YET');
  assert.deepEqual(await ws.closed, { code: 1008, reason: 'NOT_AUTHENTICATED_YET' });
  const forged = await TestSocket.open(s.url);
  assert.equal((await forged.request({ t: 'auth', token: 'x'.repeat(43), protocol: 1 })).header.code, 'UNAUTHENTICATED');
  assert.equal((await forged.closed).code, 1008);
  const device = await newUserDevice(s.url);
  const old = await TestSocket.open(s.url);
  assert.equal((await old.request({ t: 'auth', token: device.token, protocol: 99 })).header.code, 'UNSUPPORTED_VERSION');
  assert.equal((await old.closed).code, 1008);
});

test('[WS-8][WS-10] malformed, unknown, invalid and oversized frames answer err and the connection stays usable', async () => {
  await using s = await startTestServer({ CHARLA_MAX_FRAME_BYTES: '4096', CHARLA_MAX_MESSAGE_BYTES: '1024' });
  const device = await newUserDevice(s.url);
  const ws = await TestSocket.connect(s.url, device);
  const seen = new Set<unknown>();
  const nextErr = () => ws.waitFor((f) => f.header.t === 'err' && !seen.has(f));
  const expectErr = async (code: string) => {
    const f = await nextErr();
    seen.add(f);
    assert.equal(f.header.code, code);
    return f.header;
  };
  ws.sendRaw('not json');
  await expectErr('BAD_REQUEST');
  ws.sendRaw(new Uint8Array([0, 0, 0, 200, 1, 2]));
  await expectErr('BAD_REQUEST');
  ws.sendRaw(JSON.stringify([1, 2]));
  await expectErr('BAD_REQUEST');
  const unknown = await ws.request({ t: 'teleport' });
  assert.equal(unknown.header.code, 'UNKNOWN_FRAME_TYPE');
  assert.equal(typeof unknown.header.id, 'number', 'carries the request id');
  seen.add(unknown);
  const invalid = await ws.request({ t: 'groupInfo', groupId: 'short' });
  assert.equal(invalid.header.code, 'BAD_REQUEST');
  seen.add(invalid);
  ws.sendRaw(encodeFrame({ t: 'send', id: 77 }, bytes(5000)));
  await expectErr('FRAME_TOO_LARGE');
  const again = await ws.request({ t: 'auth', token: device.token, protocol: 1 });
  assert.equal(again.header.code, 'BAD_REQUEST', 'a second auth');
  assert.equal((await ws.request({ t: 'ping' })).header.t, 'ok', 'still usable');
  // Far beyond the limit: ws refuses to buffer it and closes with 1009.
  ws.sendRaw(new Uint8Array(200_000));
  assert.equal((await ws.closed).code, 1009);
});

test('[LIM-2] frames past the token bucket answer RATE_LIMITED with retryAfterMs', async () => {
  await using s = await startTestServer({ CHARLA_FRAMES_PER_SECOND: '2', CHARLA_FRAME_BURST: '5' });
  const device = await newUserDevice(s.url);
  const ws = await TestSocket.connect(s.url, device);
  const answers = await Promise.all(Array.from({ length: 10 }, () => ws.request({ t: 'ping' })));
  const limited = answers.filter((f) => f.header.code === 'RATE_LIMITED');
  assert.ok(limited.length >= 4, `expected most pings past the burst to be limited, got ${limited.length}`);
  assert.ok(limited.every((f) => f.header.retryAfterMs > 0));
  await new Promise((r) => setTimeout(r, limited[0]!.header.retryAfterMs + 10));
  assert.equal((await ws.request({ t: 'ping' })).header.t, 'ok', 'tokens refill');
  await ws.close();
});
