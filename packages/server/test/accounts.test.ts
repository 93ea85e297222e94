import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { deviceCredentialBytes, toBase64Url } from '@charla/protocol';
import { api, newDevice, register, sleep, startTestServer, TestSocket, uniqueName } from './helpers.ts';

test('[AUTH-4][AUTH-5][AUTH-7][DEV-1][DEV-5] register, prelogin, login, activate, and the device becomes visible', async () => {
  await using s = await startTestServer();
  const info = await api(s.url, 'GET', '/v1/info');
  assert.equal(info.status, 200);
  assert.equal(info.json.serverName, s.server.serverName);
  const name = uniqueName('ana');
  const user = await register(s.url, name.toUpperCase().replace(/^A/, 'A'));
  assert.equal(user.userId, `@${name}:${s.server.serverName}`, 'usernames are lowercased [ID-1]');
  const dup = await api(s.url, 'POST', '/v1/accounts', { username: name, authKey: user.authKey, kdf: { alg: 'scrypt', salt: 'A'.repeat(22), N: 1024, r: 8, p: 1 }, accountPublicKey: 'A'.repeat(43), encryptedAccountKey: 'A'.repeat(20) });
  assert.equal(dup.status, 409);
  assert.equal(dup.json.code, 'USERNAME_TAKEN');
  const pre = await api(s.url, 'POST', '/v1/prelogin', { username: name });
  assert.equal(pre.json.kdf.alg, 'scrypt');
  assert.equal((await api(s.url, 'POST', '/v1/prelogin', { username: 'nobody-here' })).json.code, 'UNKNOWN_USER');

  const pending = await newDevice(s.url, user, false);
  let u = await api(s.url, 'GET', `/v1/users/${encodeURIComponent(user.userId)}`, undefined, pending.token);
  assert.equal(u.status, 200);
  assert.deepEqual(u.json.devices, [], 'a device is invisible until activated');
  const kp = await api(s.url, 'POST', '/v1/keypackages', { keyPackages: ['AAAA'] }, pending.token);
  assert.equal(kp.json.code, 'FORBIDDEN', '[KP-1] inactive devices cannot upload key packages');

  const active = await newDevice(s.url, user);
  u = await api(s.url, 'GET', `/v1/users/${name}`, undefined, active.token);
  assert.deepEqual(u.json.devices.map((d: { deviceId: string }) => d.deviceId), [active.deviceId], 'bare usernames resolve too');
  const own = await api(s.url, 'GET', '/v1/devices', undefined, active.token);
  assert.equal(own.json.devices[0].current, true);
  assert.equal((await api(s.url, 'GET', '/v1/users/@nobody:elsewhere.org', undefined, active.token)).json.code, 'UNKNOWN_USER');

  // [AUTH-7] logout ends the session; the token is then unknown.
  assert.equal((await api(s.url, 'DELETE', '/v1/sessions/current', undefined, active.token)).status, 204);
  assert.equal((await api(s.url, 'GET', '/v1/devices', undefined, active.token)).json.code, 'UNAUTHENTICATED');
});

test('[DEV-1] activation with a signature by another key is FORBIDDEN', async () => {
  await using s = await startTestServer();
  const user = await register(s.url);
  const d = await newDevice(s.url, user, false);
  const other = generateKeyPairSync('ed25519').privateKey;
  const key = randomBytes(32);
  const sig = sign(null, deviceCredentialBytes(user.userId, d.deviceId, key), other);
  const r = await api(s.url, 'PUT', '/v1/devices/current', { signatureKey: toBase64Url(key), credentialSignature: toBase64Url(sig) }, d.token);
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 'FORBIDDEN');
});

test('[AUTH-8] wrong password, forged token, expired token', async () => {
  await using s = await startTestServer({ CHARLA_SESSION_TTL: '1' });
  const user = await register(s.url);
  const bad = await api(s.url, 'POST', '/v1/sessions', { username: user.username, authKey: toBase64Url(randomBytes(32)), deviceName: 'x' });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.code, 'INVALID_CREDENTIALS');
  const forged = await api(s.url, 'GET', '/v1/devices', undefined, toBase64Url(randomBytes(32)));
  assert.equal(forged.json.code, 'UNAUTHENTICATED');
  assert.equal((await api(s.url, 'GET', '/v1/devices')).json.code, 'UNAUTHENTICATED');
  const d = await newDevice(s.url, user);
  assert.equal((await api(s.url, 'GET', '/v1/devices', undefined, d.token)).status, 200);
  const open = await TestSocket.connect(s.url, d);
  await sleep(1100);
  assert.equal((await open.request({ t: 'ping' })).header.code, 'TOKEN_EXPIRED', 'an open connection ends with its session');
  assert.equal((await open.closed).code, 1008);
  const expired = await api(s.url, 'GET', '/v1/devices', undefined, d.token);
  assert.equal(expired.status, 401);
  assert.equal(expired.json.code, 'TOKEN_EXPIRED');
  const ws = await TestSocket.open(s.url);
  const err = await ws.request({ t: 'auth', token: d.token, protocol: 1 });
  assert.equal(err.header.code, 'TOKEN_EXPIRED');
  assert.equal((await ws.closed).code, 1008);
});

test('[LIM-3] failed logins are rate limited per username', async () => {
  await using s = await startTestServer({ CHARLA_LOGIN_FAILURES_PER_MINUTE: '3' });
  const user = await register(s.url);
  for (let i = 0; i < 3; i++) {
    const r = await api(s.url, 'POST', '/v1/sessions', { username: user.username, authKey: toBase64Url(randomBytes(32)), deviceName: 'x' });
    assert.equal(r.json.code, 'INVALID_CREDENTIALS');
  }
  const limited = await api(s.url, 'POST', '/v1/sessions', { username: user.username, authKey: user.authKey, deviceName: 'x' });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 'RATE_LIMITED');
  assert.ok(limited.json.retryAfterMs > 0 && limited.json.retryAfterMs <= 60_000);
});

test('[AUTH-4] invite mode: admins register freely and mint single-use tokens', async () => {
  await using s = await startTestServer({ CHARLA_REGISTRATION: 'invite', CHARLA_ADMINS: 'boss' });
  const boss = await register(s.url, 'boss');
  const bossDevice = await newDevice(s.url, boss);
  await assert.rejects(register(s.url), /REGISTRATION_CLOSED/);
  await assert.rejects(register(s.url, uniqueName(), { inviteToken: 'not-a-real-token' }), /INVALID_INVITE_TOKEN/);
  const invite = await api(s.url, 'POST', '/v1/admin/invite-tokens', undefined, bossDevice.token);
  assert.equal(invite.status, 200);
  const guest = await register(s.url, uniqueName(), { inviteToken: invite.json.token });
  await assert.rejects(register(s.url, uniqueName(), { inviteToken: invite.json.token }), /INVALID_INVITE_TOKEN/, 'single use');
  const guestDevice = await newDevice(s.url, guest);
  const denied = await api(s.url, 'POST', '/v1/admin/invite-tokens', undefined, guestDevice.token);
  assert.equal(denied.json.code, 'FORBIDDEN');
});

test('[ERR-1] bad bodies are BAD_REQUEST, unknown paths NOT_FOUND, ops endpoints answer', async () => {
  await using s = await startTestServer();
  const r = await api(s.url, 'POST', '/v1/accounts', { username: 'x' });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 'BAD_REQUEST');
  const d = await newDevice(s.url, await register(s.url));
  assert.equal((await api(s.url, 'GET', '/v1/users/%E0%A4%A', undefined, d.token)).json.code, 'BAD_REQUEST');
  const nf = await api(s.url, 'GET', '/v1/nope');
  assert.equal(nf.status, 404);
  assert.equal(nf.json.code, 'NOT_FOUND');
  assert.deepEqual((await api(s.url, 'GET', '/healthz')).json, { ok: true, store: true, bus: true });
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /charla_http_requests_total\{route="\/v1\/accounts",status="400"\} 1/);
  // `/` is the web app when it is built, else a plain text page naming the server.
  assert.match(await (await fetch(s.url)).text(), /<title>Charla<\/title>|Charla server/);
});
