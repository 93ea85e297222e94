import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { loadConfig, startServer } from '../src/index.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { createTestDatabase, natsForTests, type TestDatabase } from '../src/testing/backends.ts';
import { NatsBus } from '../src/bus/nats-bus.ts';
import { connect as natsConnect } from 'nats';
import { api, bytes, createGroupWith, newMsgId, newUserDevice, sleep, startTestServer, TestSocket, type TestServer } from './helpers.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('[SCALE-1] a database or bus URL of the wrong kind is a configuration error naming the variable, without the password', () => {
  assert.throws(() => loadConfig({ CHARLA_DATABASE_URL: 'mysql://u:s3cret@db/x' }), (e: Error) => /CHARLA_DATABASE_URL must be a postgres:\/\/ URL/.test(e.message) && !e.message.includes('s3cret'));
  assert.throws(() => loadConfig({ CHARLA_NATS_URL: 'http://nats:4222' }), /CHARLA_NATS_URL must be a nats:\/\/ URL/);
  assert.throws(() => loadConfig({ CHARLA_DATABASE_POOL_SIZE: '0' }), /CHARLA_DATABASE_POOL_SIZE/);
  const c = loadConfig({ CHARLA_DATABASE_URL: 'postgresql://db.internal/charla', CHARLA_NATS_URL: 'nats://n:4222' });
  assert.equal(c.databaseUrl, 'postgresql://db.internal/charla');
  assert.equal(c.natsUrl, 'nats://n:4222');
  assert.equal(c.natsPrefix, 'charla');
});

test('[SCALE-2] an unreachable database or bus at start fails with a message naming the variable', async () => {
  const port = await closedPort();
  const base = { CHARLA_PORT: '0', CHARLA_LOG_LEVEL: 'silent', CHARLA_DATA_DIR: `/tmp/charla-cfg6-${randomBytes(4).toString('hex')}` };
  await assert.rejects(
    startServer(loadConfig({ ...base, CHARLA_DATABASE_URL: `postgres://charla:s3cret@127.0.0.1:${port}/charla` })),
    (e: Error) => e.message.startsWith(`CHARLA_DATABASE_URL: cannot use PostgreSQL at postgres://127.0.0.1:${port}/charla`) && !e.message.includes('s3cret'),
  );
  await assert.rejects(startServer(loadConfig({ ...base, CHARLA_NATS_URL: `nats://127.0.0.1:${port}` })), /^BackendStartError: CHARLA_NATS_URL: cannot use NATS at nats:\/\/127\.0\.0\.1:\d+: /);
});

const [db, nats] = [await createTestDatabase(), await natsForTests()];

if (!db.ok || !nats.ok) {
  test('two nodes over PostgreSQL and NATS', { skip: !db.ok ? db.reason : !nats.ok ? nats.reason : '' }, () => undefined);
} else {
  describe('two nodes sharing PostgreSQL and NATS', () => {
    const prefix = `charlatest_${randomBytes(5).toString('hex')}`;
    let database: TestDatabase;
    let n1: TestServer;
    let n2: TestServer;
    let store: PostgresStore;

    before(async () => {
      database = db.value;
      const env = { CHARLA_DATABASE_URL: database.url, CHARLA_NATS_URL: nats.value, CHARLA_NATS_PREFIX: prefix, CHARLA_SERVER_NAME: 'scale.test', CHARLA_FRAME_BURST: '10000', CHARLA_LOG_LEVEL: 'warn' };
      [n1, n2] = await Promise.all([startTestServer(env), startTestServer(env)]);
      // The test's own view of the database, like a third node that stores and never publishes.
      store = await PostgresStore.open({ url: database.url, poolSize: 2 });
    });
    after(async () => {
      await n1?.[Symbol.asyncDispose]();
      await n2?.[Symbol.asyncDispose]();
      await store?.close();
      await database?.drop();
      const nc = await natsConnect({ servers: new URL(nats.value).host });
      await (await nc.jetstreamManager()).streams.delete(NatsBus.streamName(prefix)).catch(() => false);
      await nc.close();
    });

    test('[WS-6] /healthz reports the store and the bus', async () => {
      assert.deepEqual((await api(n1.url, 'GET', '/healthz')).json, { ok: true, store: true, bus: true });
    });

    test('[DEL-1][DEL-4] both nodes append to one group at once: members on either node get every seq once, in order', async () => {
      const [alice, bob, carol, dave] = await Promise.all([newUserDevice(n1.url), newUserDevice(n2.url), newUserDevice(n1.url), newUserDevice(n2.url)]);
      const a = await TestSocket.connect(n1.url, alice);
      const b = await TestSocket.connect(n2.url, bob);
      const { groupId, epoch } = await createGroupWith(a, [bob, carol, dave]);
      const c = await TestSocket.connect(n1.url, carol);
      const d = await TestSocket.connect(n2.url, dave);
      const sends = [];
      for (let i = 0; i < 60; i++) {
        sends.push(a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(20)));
        sends.push(b.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(20)));
      }
      const answers = await Promise.all(sends);
      assert.ok(answers.every((f) => f.header.t === 'ok'), 'every send accepted');
      const seqs = answers.map((f) => f.header.seq as number).sort((x, y) => x - y);
      const first = seqs[0]!;
      assert.deepEqual(seqs, Array.from({ length: 120 }, (_, i) => first + i), 'gap-free seqs across nodes');
      for (const s of [a, b, c, d]) {
        await s.waitFor((f) => f.header.t === 'ev' && f.header.seq === seqs.at(-1));
        const got = s.events(groupId).map((f) => f.header.seq as number).filter((q) => q >= first);
        assert.deepEqual(got, seqs, 'each app message once, in seq order');
      }
      await Promise.all([a, b, c, d].map((s) => s.close()));
    });

    test('[DEL-4] an entry stored by a node that died before publishing reaches other nodes: with the next event, or when its sender retries', async () => {
      const [alice, bob] = await Promise.all([newUserDevice(n1.url), newUserDevice(n2.url)]);
      const a = await TestSocket.connect(n1.url, alice);
      const b = await TestSocket.connect(n2.url, bob);
      const { groupId, epoch } = await createGroupWith(a, [bob]);
      const sender = { username: alice.user.username, deviceId: alice.deviceId };
      const silent = async (body: Uint8Array, msgId: string) => {
        const r = await store.appendMessage({ groupId, sender, epoch, msgId, body, expiresAt: null, ts: Date.now() });
        assert.ok(r.error === undefined && !r.duplicate);
        return r.entry.seq;
      };
      // 1. Stored, never published; the next message (through node 1) shows node 2 the hole.
      const lost = await silent(bytes(16), newMsgId());
      await sleep(100);
      assert.equal(b.events(groupId).filter((f) => f.header.seq === lost).length, 0, 'not announced by anyone yet');
      const next = await a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(16));
      await b.waitFor((f) => f.header.t === 'ev' && f.header.seq === next.header.seq);
      assert.deepEqual(b.events(groupId).map((f) => f.header.seq).slice(-2), [lost, next.header.seq], 'the hole was filled from the store, in order');
      // 2. Stored, never published, and its sender retries (no ok came): the retry announces it again.
      const body = bytes(16);
      const msgId = newMsgId();
      const orphan = await silent(body, msgId);
      const retry = await a.request({ t: 'send', groupId, epoch, msgId }, body);
      assert.deepEqual([retry.header.seq, retry.header.duplicate], [orphan, true]);
      await b.waitFor((f) => f.header.t === 'ev' && f.header.seq === orphan);
      await a.waitFor((f) => f.header.t === 'ev' && f.header.seq === orphan);
      await sleep(100);
      for (const s of [a, b]) {
        const got = s.events(groupId).map((f) => f.header.seq as number);
        assert.equal(new Set(got).size, got.length, 'nothing delivered twice on one connection');
      }
      await Promise.all([a.close(), b.close()]);
    });

    test('[DEV-6] revoking a device on one node closes its connection on the other', async () => {
      const alice = await newUserDevice(n1.url);
      const { newDevice } = await import('./helpers.ts');
      const second = await newDevice(n1.url, alice.user);
      const s = await TestSocket.connect(n2.url, second);
      const r = await api(n1.url, 'DELETE', `/v1/devices/${second.deviceId}`, undefined, alice.token);
      assert.equal(r.status, 204);
      const closed = await s.closed;
      assert.equal(closed.code, 4403);
    });
  });
}
