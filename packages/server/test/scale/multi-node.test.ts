import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as natsConnect } from 'nats';
import { CharlaClient, MemoryStore, registerAccount, type MessageRecord } from '@charla/sdk';
import { createTestDatabase, natsForTests } from '../../src/testing/backends.ts';
import { NatsBus } from '../../src/bus/nats-bus.ts';
import { NodeProcess } from './node-process.ts';
import { TcpBalancer } from './tcp-balancer.ts';

/**
 * Three stateless server processes share one PostgreSQL database and one NATS; a round-robin TCP
 * balancer gives most clients one URL, two clients talk to chosen nodes directly. Chats run 1:1
 * and in a group while one node is killed with SIGKILL; its clients reconnect through the
 * balancer to the others. Every message, acknowledged before the kill or waiting in an outbox,
 * must end up in every recipient's history exactly once.
 */

const ROUNDS = 10;
const KILL_AFTER_ROUND = 4;
/** Bound on each wait (setup, acknowledgement, delivery), so a failure is reported, not hung. */
const PHASE_MS = 30_000;
const PASSWORD = 'correct horse battery';

interface User {
  readonly name: string;
  readonly client: CharlaClient;
  /** Unix ms of each of this user's messages' `sent` event (the server's ok), by message id. */
  readonly sentAt: Map<string, number>;
}

async function until(check: () => Promise<boolean> | boolean, what: string, deadline: number): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const [db, nats] = [await createTestDatabase(), await natsForTests()];

if (!db.ok || !nats.ok) {
  test('[SCALE-3] three nodes, one killed during traffic', { skip: !db.ok ? db.reason : !nats.ok ? nats.reason : '' }, () => undefined);
} else {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('cleanup:', e));
  });

  test('[SCALE-3] three nodes share PostgreSQL and NATS; a node killed during 1:1 and group traffic loses and duplicates nothing', { timeout: 120_000 }, async (t) => {
    const prefix = `charlatest_${randomBytes(5).toString('hex')}`;
    cleanups.push(() => db.value.drop());
    cleanups.push(async () => {
      const nc = await natsConnect({ servers: new URL(nats.value).host });
      await (await nc.jetstreamManager()).streams.delete(NatsBus.streamName(prefix)).catch(() => false);
      await nc.close();
    });
    const blobDir = await mkdtemp(join(tmpdir(), 'charla-multi-node-'));
    cleanups.push(() => rm(blobDir, { recursive: true, force: true }));

    const lb = await TcpBalancer.start();
    cleanups.push(() => lb.close());
    const env = {
      CHARLA_DATABASE_URL: db.value.url,
      CHARLA_DATABASE_POOL_SIZE: '4',
      CHARLA_NATS_URL: nats.value,
      CHARLA_NATS_PREFIX: prefix,
      // Identical on every node: user ids (@name:server) must not depend on the node.
      CHARLA_SERVER_NAME: 'multi.test',
      CHARLA_PUBLIC_URL: lb.url,
      CHARLA_DATA_DIR: blobDir,
      CHARLA_ARGON2_MEMORY_KIB: '64',
      CHARLA_FRAMES_PER_SECOND: '2000',
      CHARLA_FRAME_BURST: '4000',
      CHARLA_LOG_LEVEL: 'warn',
    };
    const nodes = await Promise.all(['n0', 'n1', 'n2'].map((n) => NodeProcess.start(n, env)));
    cleanups.push(() => Promise.all(nodes.map((n) => n.stop())));
    for (const n of nodes) lb.addBackend(n.url);

    const users: User[] = [];
    cleanups.push(async () => {
      for (const u of users) await u.client.close();
    });
    const newUser = async (name: string, serverUrl: string): Promise<User> => {
      const store = new MemoryStore();
      await registerAccount(store, { serverUrl, username: name, password: PASSWORD });
      const client = await CharlaClient.open(store);
      const user = { name, client, sentAt: new Map<string, number>() };
      client.on('sent', ({ messageId }) => user.sentAt.set(messageId, Date.now()));
      users.push(user);
      await client.connect();
      return user;
    };
    const placement = async () => Promise.all(nodes.map((n) => n.wsConnections()));

    // Clients behind the balancer, one at a time, so each one's node is known from /metrics.
    const hostOf = new Map<string, number>();
    for (const name of ['ana', 'bruno', 'carla', 'dani']) {
      const before = await placement();
      await newUser(name, lb.url);
      const now = await placement();
      hostOf.set(name, now.findIndex((c, i) => c === before[i]! + 1));
      assert.notEqual(hostOf.get(name), -1, `${name}'s connection shows on one node`);
    }
    // The victim is a node that has balancer clients (with four clients on three nodes, one has two).
    const counts = nodes.map((_, i) => [...hostOf.values()].filter((h) => h === i).length);
    const victim = counts.indexOf(Math.max(...counts));
    const [o1, o2] = [0, 1, 2].filter((i) => i !== victim) as [number, number];
    // Clients pinned to the two other nodes, so a chat between them is cross-node by construction.
    await newUser('eva', nodes[o1]!.url);
    await newUser('fede', nodes[o2]!.url);
    const byName = new Map(users.map((u) => [u.name, u]));
    const u = (name: string) => byName.get(name)!;
    t.diagnostic(`balancer clients on nodes ${JSON.stringify(Object.fromEntries(hostOf))}; victim n${victim}; eva on n${o1}, fede on n${o2}`);

    // Cross-node proof, before any failure: eva (n{o1}) writes to fede (n{o2}) and back.
    const evaFede = await u('eva').client.openDirect('fede');
    const fedeGot = new Promise<MessageRecord>((resolve) => u('fede').client.on('message', (m) => m.text === 'hola fede' && resolve(m)));
    await u('eva').client.sendText(evaFede.id, 'hola fede');
    const inFede = await fedeGot;
    const evaGot = new Promise<MessageRecord>((resolve) => u('eva').client.on('message', (m) => m.text === 'hola eva' && resolve(m)));
    await u('fede').client.sendText(inFede.conversationId, 'hola eva');
    await evaGot;

    // The chats: one group of everyone, and three 1:1 pairs (some within a node, some across).
    const group = await u('ana').client.createGroupChat('todos', users.filter((x) => x.name !== 'ana').map((x) => x.name));
    const pairs: [string, string][] = [['ana', 'eva'], ['bruno', 'fede'], ['carla', 'dani']];
    /** conversation id per user, per chat key */
    const convOf = new Map<string, Map<string, string>>(users.map((x) => [x.name, new Map([['group', group.id]])]));
    for (const [a, b] of pairs) {
      const conv = await u(a).client.openDirect(b);
      convOf.get(a)!.set(`${a}-${b}`, conv.id);
      convOf.get(b)!.set(`${a}-${b}`, `dm:${u(a).client.userId}`);
    }
    await until(async () => {
      for (const x of users) for (const id of convOf.get(x.name)!.values()) if (!(await x.client.conversations.get(id))) return false;
      return true;
    }, 'everyone is in the group and in their 1:1 chats', Date.now() + PHASE_MS);

    // Traffic: every round each user writes to the group and to its 1:1 peer, all at once. The
    // rounds before the kill are waited for (their messages are acknowledged); at the kill a round
    // is on the wire; after it, writes go on while the victim's clients are reconnecting.
    const sent: { sender: string; chat: string; id: string; text: string }[] = [];
    const inFlight: Promise<unknown>[] = [];
    let killedAt = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const thisRound: Promise<unknown>[] = [];
      for (const x of users) {
        const chats = ['group', ...pairs.filter((p) => p.includes(x.name)).map(([a, b]) => `${a}-${b}`)];
        for (const chat of chats) {
          const text = `${chat}|${x.name}|${round}`;
          thisRound.push(x.client.sendText(convOf.get(x.name)!.get(chat)!, text).then((m) => sent.push({ sender: x.name, chat, id: m.id, text })));
        }
      }
      inFlight.push(...thisRound);
      if (round < KILL_AFTER_ROUND) await Promise.all(thisRound);
      if (round === KILL_AFTER_ROUND) {
        await new Promise((r) => setTimeout(r, 10));
        await nodes[victim]!.kill();
        killedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all(inFlight);
    assert.equal(sent.length, ROUNDS * (users.length + 2 * pairs.length));

    // Every client is back online (the victim's ones through the balancer to a live node), and
    // every outbox is empty: each message got its ok.
    await until(async () => {
      for (const x of users) {
        for (const m of sent.filter((s) => s.sender === x.name)) if (!x.sentAt.has(m.id)) return false;
      }
      return true;
    }, 'every message acknowledged', Date.now() + PHASE_MS);
    const ackedBeforeKill = sent.filter((m) => u(m.sender).sentAt.get(m.id)! < killedAt).length;
    const onVictim = [...hostOf].filter(([, h]) => h === victim).map(([name]) => name);
    const victimsAfterKill = sent.filter((m) => onVictim.includes(m.sender) && u(m.sender).sentAt.get(m.id)! > killedAt).length;
    t.diagnostic(`${sent.length} messages: ${ackedBeforeKill} acknowledged before the kill; ${victimsAfterKill} of ${onVictim.join(', ')} (on the victim) pending at the kill or written after, acknowledged by another node`);
    assert.ok(ackedBeforeKill >= KILL_AFTER_ROUND * (users.length + 2 * pairs.length), 'the rounds before the kill were acknowledged');
    assert.ok(victimsAfterKill > 0, "the victim's clients sent through another node after the kill");
    const live = await Promise.all([nodes[o1]!, nodes[o2]!].map((n) => n.wsConnections()));
    assert.equal(live[0]! + live[1]!, users.length, 'every client reconnected to a live node');

    // Every recipient (the sender included: its own history) has every message exactly once.
    const members = (chat: string) => (chat === 'group' ? users.map((x) => x.name) : chat.split('-'));
    const expected = (name: string, chat: string) => sent.filter((m) => m.chat === chat && members(chat).includes(name)).map((m) => m.text).sort();
    const seen = async (name: string, chat: string) => {
      const history = await u(name).client.history(convOf.get(name)!.get(chat)!);
      return history.map((m) => m.text).filter((text) => text.startsWith(`${chat}|`)).sort();
    };
    const chats = ['group', ...pairs.map(([a, b]) => `${a}-${b}`)];
    await until(async () => {
      for (const chat of chats) for (const name of members(chat)) if ((await seen(name, chat)).length < expected(name, chat).length) return false;
      return true;
    }, 'every message in every recipient history', Date.now() + PHASE_MS);
    for (const x of users) await x.client.settle();
    for (const chat of chats) {
      for (const name of members(chat)) assert.deepEqual(await seen(name, chat), expected(name, chat), `${name}'s history of ${chat}: each message exactly once`);
    }
  });
}
