import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { register, startTestServer } from './helpers.ts';

async function failLogin(url: string, username: string, forwardedFor: string): Promise<string> {
  const res = await fetch(`${url}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username, authKey: randomBytes(32).toString('base64url'), deviceName: 'x' }),
  });
  return ((await res.json()) as { code: string }).code;
}

test('[LIM-3] behind a trusted proxy, failed logins are limited per forwarded client address', async () => {
  await using s = await startTestServer({ CHARLA_TRUST_PROXY: 'true', CHARLA_LOGIN_FAILURES_PER_MINUTE: '2' });
  const names = await Promise.all([register(s.url), register(s.url), register(s.url)]);
  // The client may send its own X-Forwarded-For; only the last entry (the proxy's) counts.
  assert.equal(await failLogin(s.url, names[0]!.username, '6.6.6.6, 10.0.0.1'), 'INVALID_CREDENTIALS');
  assert.equal(await failLogin(s.url, names[1]!.username, '7.7.7.7, 10.0.0.1'), 'INVALID_CREDENTIALS');
  assert.equal(await failLogin(s.url, names[2]!.username, '10.0.0.1'), 'RATE_LIMITED', 'same client behind the proxy');
  assert.equal(await failLogin(s.url, names[2]!.username, '10.0.0.2'), 'INVALID_CREDENTIALS', 'another client is not locked out');
});

test('[LIM-3] without CHARLA_TRUST_PROXY, X-Forwarded-For is ignored', async () => {
  await using s = await startTestServer({ CHARLA_LOGIN_FAILURES_PER_MINUTE: '2' });
  const names = await Promise.all([register(s.url), register(s.url), register(s.url)]);
  assert.equal(await failLogin(s.url, names[0]!.username, '10.0.0.1'), 'INVALID_CREDENTIALS');
  assert.equal(await failLogin(s.url, names[1]!.username, '10.0.0.2'), 'INVALID_CREDENTIALS');
  assert.equal(await failLogin(s.url, names[2]!.username, '10.0.0.3'), 'RATE_LIMITED', 'all from the same socket address');
});
