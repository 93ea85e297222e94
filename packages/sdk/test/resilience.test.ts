import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupMembers, decodeGroupState } from '@charla/crypto';
import { directConversationId } from '../src/conversations.ts';
import { bootServer, eventually, newUser, texts, waitFor, type TestServer, type TestUser } from './harness.ts';

describe('reconnects, restarts and races', () => {
  let server: TestServer;
  let ana: TestUser;
  let bruno: TestUser;

  before(async () => {
    server = await bootServer();
    ana = await newUser(server, 'ana');
    bruno = await newUser(server, 'bruno');
  });
  after(async () => {
    await ana?.client.close();
    await bruno?.client.close();
    await server?.close();
  });

  test('a server restart loses nothing acked; clients reconnect by themselves and resume', async () => {
    const conv = await ana.client.openDirect('bruno');
    const first = waitFor(bruno.client, 'message', (m) => m.text === 'antes del reinicio');
    await ana.client.sendText(conv.id, 'antes del reinicio');
    await first;

    const offline = waitFor(ana.client, 'connection', (s) => s === 'offline');
    await server.stop();
    await offline;
    // Written while the server is down: kept in the outbox, shown as pending.
    const pending = await ana.client.sendText(conv.id, 'escrito sin conexión');
    assert.equal(pending.status, 'pending');

    const arrives = waitFor(bruno.client, 'message', (m) => m.text === 'escrito sin conexión', 20_000);
    await server.start();
    await arrives;
    await eventually(async () => (await ana.client.conversations.findMessage(pending.id))?.status === 'sent', 'the outbox confirmed the message', 20_000);
    await bruno.client.settle();
    const brunoTexts = await texts(bruno.client, directConversationId(ana.client.userId));
    assert.equal(brunoTexts.filter((t) => t === 'escrito sin conexión').length, 1, 'delivered exactly once');
    assert.equal(brunoTexts.filter((t) => t === 'antes del reinicio').length, 1);
  });

  test('concurrent commits: two members add people at once, both end up in the group', async () => {
    const carla = await newUser(server, 'carla');
    const dani = await newUser(server, 'dani');
    const emma = await newUser(server, 'emma');
    try {
      const group = await ana.client.createGroupChat('carrera', ['bruno']);
      await eventually(async () => (await bruno.client.conversations.get(group.id)) !== undefined, 'bruno joined');
      const conflicts = async (): Promise<number> => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/charla_errors_total\{code="EPOCH_CONFLICT"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const before = await conflicts();
      // Both commit at the same epoch: one wins, the other catches up and retries.
      await Promise.all([ana.client.addMembers(group.id, ['carla', 'dani']), bruno.client.addMembers(group.id, ['emma'])]);
      await ana.client.settle();
      await bruno.client.settle();
      assert.ok((await conflicts()) > before, 'the race produced an epoch conflict that was resolved');
      const record = await ana.store.get<{ state: Uint8Array }>('groups', group.id);
      const users = new Set(groupMembers(decodeGroupState(record!.state)).map((m) => m.user));
      for (const u of [ana, bruno, carla, dani, emma]) assert.ok(users.has(u.client.userId), `${u.name} is a member`);
      const seen = Promise.all([carla, dani, emma].map((u) => waitFor(u.client, 'message', (m) => m.text === 'todos dentro')));
      await bruno.client.sendText(group.id, 'todos dentro');
      await seen;
    } finally {
      for (const u of [carla, dani, emma]) await u.client.close();
    }
  });
});

test('[AUTH-1] login refuses password-hash parameters weaker than the default', async () => {
  const server = await bootServer();
  try {
    const { MemoryStore, loginAccount, registerAccount } = await import('../src/index.ts');
    await registerAccount(new MemoryStore(), { serverUrl: server.url, username: 'weak', password: 'correct horse battery' });
    const { DatabaseSync } = await import('node:sqlite');
    const { join } = await import('node:path');
    const db = new DatabaseSync(join(server.dataDir, 'charla.sqlite'));
    const row = db.prepare("SELECT kdf FROM accounts WHERE username = 'weak'").get() as { kdf: string };
    db.prepare("UPDATE accounts SET kdf = ? WHERE username = 'weak'").run(JSON.stringify({ ...JSON.parse(row.kdf), N: 1024 }));
    db.close();
    await assert.rejects(loginAccount(new MemoryStore(), { serverUrl: server.url, username: 'weak', password: 'correct horse battery' }), { code: 'WEAK_KDF' });
  } finally {
    await server.close();
  }
});
