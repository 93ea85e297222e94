import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../src/index.ts';

test('[ROOM-6] room and SFU settings: defaults, remote SFUs need a secret that is never printed', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.rooms.localSfu, true);
  assert.deepEqual(defaults.rooms.sfuUrls, []);
  assert.equal(defaults.rooms.resumeGraceMs, 20_000);
  assert.equal(defaults.rooms.ttlMs, 24 * 3_600_000);

  const secret = 'a-very-secret-sfu-key-42';
  const c = loadConfig({ CHARLA_SFU_LOCAL: 'false', CHARLA_SFU_URLS: 'ws://10.0.0.7:7881/v1/sfu/control, wss://sfu2.example.org/v1/sfu/control', CHARLA_SFU_SECRET: secret, CHARLA_SFU_INTERFACE: '127.0.0.1', CHARLA_SFU_ANNOUNCED_ADDRESSES: '127.0.0.1,203.0.113.9' });
  assert.deepEqual(c.rooms.sfuUrls, ['ws://10.0.0.7:7881/v1/sfu/control', 'wss://sfu2.example.org/v1/sfu/control']);
  assert.equal(c.rooms.sfuSecret.reveal(), secret);
  assert.deepEqual(c.rooms.sfuAnnouncedAddresses, ['127.0.0.1', '203.0.113.9']);
  assert.equal(c.rooms.sfuInterface, '127.0.0.1');
  assert.ok(!JSON.stringify(c).includes(secret) && !inspect(c, { depth: 10 }).includes(secret), 'the secret never prints');

  assert.throws(() => loadConfig({ CHARLA_SFU_URLS: 'ws://10.0.0.7:7881/v1/sfu/control' }), (e: unknown) => e instanceof ConfigError && /CHARLA_SFU_SECRET is required/.test(e.message));
  assert.throws(() => loadConfig({ CHARLA_SFU_URLS: 'http://x', CHARLA_SFU_SECRET: secret }), /CHARLA_SFU_URLS must be/);
  assert.throws(() => loadConfig({ CHARLA_SFU_SECRET: 'short-secret' }), (e: unknown) => e instanceof ConfigError && !e.message.includes('short-secret'));
  assert.throws(() => loadConfig({ CHARLA_SFU_INTERFACE: 'eth0' }), /CHARLA_SFU_INTERFACE must be an IPv4 address/);
});
