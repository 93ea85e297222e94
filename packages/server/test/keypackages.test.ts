import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newDevice, newUserDevice, register, startTestServer } from './helpers.ts';

test('[KP-1][KP-2] upload, count, pool limit', async () => {
  await using s = await startTestServer();
  const d = await newUserDevice(s.url);
  const up = await api(s.url, 'POST', '/v1/keypackages', { keyPackages: ['AAAA', 'BBBB'], lastResort: 'LLLL' }, d.token);
  assert.deepEqual(up.json, { count: 2, hasLastResort: true });
  assert.deepEqual((await api(s.url, 'GET', '/v1/keypackages/count', undefined, d.token)).json, { count: 2, hasLastResort: true });
  const many = Array.from({ length: 100 }, (_, i) => `kp${i}`);
  assert.equal((await api(s.url, 'POST', '/v1/keypackages', { keyPackages: many }, d.token)).status, 200);
  const full = await api(s.url, 'POST', '/v1/keypackages', { keyPackages: many }, d.token);
  assert.equal(full.json.code, 'BAD_REQUEST', 'past limits.maxKeyPackages');
  assert.equal((await api(s.url, 'GET', '/v1/keypackages/count', undefined, d.token)).json.count, 102, 'a refused upload stores nothing');
});

test('[KP-4][KP-5][KP-6] concurrent claims never share a one-time package; then the last resort; then missing', async () => {
  await using s = await startTestServer();
  const target = await register(s.url);
  const t1 = await newDevice(s.url, target);
  const t2 = await newDevice(s.url, target);
  const pool = Array.from({ length: 30 }, (_, i) => `one${i}`);
  await api(s.url, 'POST', '/v1/keypackages', { keyPackages: pool, lastResort: 'lastresort' }, t1.token);
  const claimers = await Promise.all(Array.from({ length: 4 }, () => newUserDevice(s.url)));
  const claims = await Promise.all(
    Array.from({ length: 40 }, (_, i) => api(s.url, 'POST', '/v1/keypackages/claim', { users: [target.userId] }, claimers[i % 4]!.token)),
  );
  const fromT1 = claims.map((c) => c.json.keyPackages.find((k: { deviceId: string }) => k.deviceId === t1.deviceId));
  const oneTime = fromT1.filter((k) => !k.lastResort).map((k) => k.keyPackage);
  assert.equal(oneTime.length, 30);
  assert.equal(new Set(oneTime).size, 30, 'every one-time package handed out once');
  assert.ok(fromT1.filter((k) => k.lastResort).every((k) => k.keyPackage === 'lastresort'));
  assert.ok(claims.every((c) => c.json.missing.some((m: { deviceId: string }) => m.deviceId === t2.deviceId)), 'a device without packages is missing');
  assert.deepEqual((await api(s.url, 'GET', '/v1/keypackages/count', undefined, t1.token)).json, { count: 0, hasLastResort: true });

  // The caller's own device is never claimed; its sibling is.
  const own = await api(s.url, 'POST', '/v1/keypackages/claim', { users: [target.userId] }, t2.token);
  assert.deepEqual(own.json.keyPackages.map((k: { deviceId: string }) => k.deviceId), [t1.deviceId]);
  assert.equal((await api(s.url, 'POST', '/v1/keypackages/claim', { users: ['@ghost:nowhere.example'] }, t2.token)).json.code, 'UNKNOWN_USER');

  await api(s.url, 'DELETE', `/v1/devices/${t1.deviceId}`, undefined, t2.token);
  const after = await api(s.url, 'POST', '/v1/keypackages/claim', { users: [target.userId] }, claimers[0]!.token);
  assert.deepEqual(after.json.keyPackages, [], 'a revoked device has no key packages');
  assert.deepEqual(after.json.missing.map((m: { deviceId: string }) => m.deviceId), [t2.deviceId]);
});
