/* eslint-disable @typescript-eslint/no-explicit-any -- test frames are read loosely; the server checks its own outputs (validateOutputs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { spawn } from 'node:child_process';
import { bytes, createGroupWith, newMsgId, newUserDevice, startTestServer, TestSocket, type Frame, type TestDevice } from './helpers.ts';

const SLOW_ACK_NODE = fileURLToPath(new URL('./fixtures/slow-ack-node.ts', import.meta.url));
/** Long enough that only a closing connection or the shutdown writes the acks. */
const NEVER = 3_600_000;

/** The device's acked cursor as stored (what survives a crash). */
function storedCursor(dataDir: string, deviceId: string, groupId: string): number {
  const db = new DatabaseSync(join(dataDir, 'charla.sqlite'), { readOnly: true });
  try {
    return Number((db.prepare('SELECT acked_seq FROM memberships WHERE device_id = ? AND group_id = ?').get(deviceId, groupId) as { acked_seq: number }).acked_seq);
  } finally {
    db.close();
  }
}

/** The fixture server as its own process; kill() is a SIGKILL (no drain, no final flush). */
async function startProcess(env: Record<string, string>): Promise<{ url: string; kill(): Promise<void> }> {
  const child = spawn(process.execPath, [SLOW_ACK_NODE], { env: { PATH: process.env.PATH ?? '', ...env, CHARLA_PORT: '0', CHARLA_HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 20 s:\n${log}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const m = /Charla is listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`exited at start:\n${log}`)));
  });
  return { url, kill: async () => (child.kill('SIGKILL'), await exited) };
}

const apps = (s: TestSocket, groupId: string): Frame[] => s.events(groupId).filter((f) => f.header.kind === 'app');

async function sendMany(a: TestSocket, groupId: string, epoch: number, n: number): Promise<{ msgIds: string[]; seqs: number[] }> {
  const msgIds = Array.from({ length: n }, () => newMsgId());
  // Not awaited one by one: the frames go out back to back and are pipelined into group commits.
  const oks = await Promise.all(msgIds.map((msgId) => a.request({ t: 'send', groupId, epoch, msgId }, bytes(40))));
  for (const ok of oks) assert.equal(ok.header.t, 'ok', JSON.stringify(ok.header));
  return { msgIds, seqs: oks.map((ok) => ok.header.seq as number) };
}

test('[DEL-2] acks are held in memory: the device\'s next connection starts after them, and a clean shutdown writes them', async () => {
  const first = await startTestServer({ CHARLA_SERVER_NAME: 'acks.test' }, undefined, { ackFlushIntervalMs: NEVER });
  const dataDir = first.dataDir;
  const [alice, bob] = await Promise.all([newUserDevice(first.url), newUserDevice(first.url)]);
  const a = await TestSocket.connect(first.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const b = await TestSocket.connect(first.url, bob);
  const { seqs } = await sendMany(a, groupId, epoch, 3);
  const last = seqs.at(-1)!;
  await b.waitFor((f) => f.header.t === 'ev' && f.header.seq === last);
  const before = storedCursor(dataDir, bob.deviceId, groupId);
  assert.equal((await b.request({ t: 'ack', groupId, seq: last })).header.t, 'ok');
  assert.equal(storedCursor(dataDir, bob.deviceId, groupId), before, 'not written yet');

  // A second connection of the same device (the first stays open, so nothing flushed) reads the in-memory cursor.
  const b2 = await TestSocket.connect(first.url, bob);
  assert.deepEqual(b2.events(groupId).map((f) => f.header.seq), []);
  await first.stop();
  assert.equal(storedCursor(dataDir, bob.deviceId, groupId), last, 'written at shutdown');

  await using second = await startTestServer({ CHARLA_SERVER_NAME: 'acks.test' }, dataDir);
  const b3 = await TestSocket.connect(second.url, bob);
  assert.deepEqual(b3.events(groupId).map((f) => f.header.seq), []);
  await b3.close();
  await first[Symbol.asyncDispose]();
});

test('[DEL-2] an ack of something not delivered on this node is checked by the store at once', async () => {
  await using s = await startTestServer({}, undefined, { ackFlushIntervalMs: NEVER });
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, []);
  await sendMany(a, groupId, epoch, 2);
  const b = await TestSocket.connect(s.url, bob);
  const denied = await b.request({ t: 'ack', groupId, seq: 1 });
  assert.equal(denied.header.code, 'NOT_A_MEMBER');
  // Acked past what this connection was sent: written (clamped) by the store now, not buffered.
  assert.equal((await a.request({ t: 'ack', groupId, seq: 99 })).header.t, 'ok');
  assert.equal(storedCursor(s.dataDir, alice.deviceId, groupId), 2);
  await Promise.all([a.close(), b.close()]);
});

test('[DEL-5] a crash between ack flushes only redelivers: every message the sender got an ok for is kept', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'charla-crash-'));
  const env = { CHARLA_DATA_DIR: dataDir, CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_SERVER_NAME: 'crash.test', CHARLA_LOG_LEVEL: 'warn', CHARLA_SQLITE_SYNCHRONOUS: 'full' };
  const node = await startProcess(env);
  let alice: TestDevice;
  let bob: TestDevice;
  let groupId: string;
  let msgIds: string[];
  try {
    [alice, bob] = await Promise.all([newUserDevice(node.url), newUserDevice(node.url)]);
    const a = await TestSocket.connect(node.url, alice);
    ({ groupId } = await createGroupWith(a, [bob]));
    const b = await TestSocket.connect(node.url, bob);
    const sent = await sendMany(a, groupId, 1, 10);
    msgIds = sent.msgIds;
    await b.waitFor((f) => f.header.t === 'ev' && f.header.seq === sent.seqs.at(-1));
    assert.equal((await b.request({ t: 'ack', groupId, seq: sent.seqs.at(-1) })).header.t, 'ok');
  } finally {
    await node.kill();
  }
  await using second = await startTestServer({ CHARLA_SERVER_NAME: 'crash.test' }, dataDir);
  const b2 = await TestSocket.connect(second.url, bob);
  assert.deepEqual(apps(b2, groupId).map((f) => f.header.msgId), msgIds, 'the unwritten ack only means delivery again, in order');
  const a2 = await TestSocket.connect(second.url, alice);
  assert.deepEqual(apps(a2, groupId).map((f) => f.header.msgId), msgIds, 'nothing answered ok was lost');
  await Promise.all([a2.close(), b2.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

test('[SEND-2][SEND-3][DEL-1] group commit: a burst from several sockets keeps each socket\'s order, idempotency and per-message errors', async () => {
  await using s = await startTestServer();
  const [alice, bob, carol] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url), newUserDevice(s.url)]);
  const [a, c] = await Promise.all([TestSocket.connect(s.url, alice), TestSocket.connect(s.url, carol)]);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const b = await TestSocket.connect(s.url, bob);
  const body = (i: number) => new Uint8Array(40).fill(i);
  const fromA = Array.from({ length: 20 }, () => newMsgId());
  const fromB = Array.from({ length: 20 }, () => newMsgId());
  // Everything below is written before any answer is read.
  const answers = {
    a: fromA.map((msgId, i) => a.request({ t: 'send', groupId, epoch, msgId }, body(i))),
    b: fromB.map((msgId, i) => b.request({ t: 'send', groupId, epoch, msgId }, body(100 + i))),
    duplicate: a.request({ t: 'send', groupId, epoch, msgId: fromA[3] }, body(3)),
    reused: b.request({ t: 'send', groupId, epoch, msgId: fromA[5] }, body(77)),
    oldEpoch: a.request({ t: 'send', groupId, epoch: epoch - 1, msgId: newMsgId() }, body(1)),
    outsider: c.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, body(1)),
  };
  const seqsA = (await Promise.all(answers.a)).map((f) => f.header.seq as number);
  const seqsB = (await Promise.all(answers.b)).map((f) => f.header.seq as number);
  for (const seqs of [seqsA, seqsB]) assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'a socket\'s messages get seqs in the order it sent them');
  const all = [...seqsA, ...seqsB].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => all[0]! + i), 'gap-free');
  assert.deepEqual(pick((await answers.duplicate).header), { t: 'ok', seq: seqsA[3], duplicate: true });
  assert.equal((await answers.reused).header.code, 'MESSAGE_ID_REUSED');
  assert.deepEqual(pick((await answers.oldEpoch).header), { t: 'err', code: 'EPOCH_CONFLICT', epoch });
  assert.equal((await answers.outsider).header.code, 'NOT_A_MEMBER');

  // Every member gets every message once, in seq order, with the seq its sender was told.
  const bySeq = new Map([...fromA.map((m, i) => [seqsA[i]!, m] as const), ...fromB.map((m, i) => [seqsB[i]!, m] as const)]);
  for (const sock of [a, b]) {
    await sock.waitFor((f) => f.header.t === 'ev' && f.header.seq === all.at(-1));
    assert.deepEqual(apps(sock, groupId).map((f) => [f.header.seq, f.header.msgId]), all.map((seq) => [seq, bySeq.get(seq)]));
  }
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('[SEND-2] a commit right behind pipelined sends on the same socket does not overtake them', async () => {
  await using s = await startTestServer();
  const [alice, bob] = await Promise.all([newUserDevice(s.url), newUserDevice(s.url)]);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, [bob]);
  const sends = Array.from({ length: 5 }, () => a.request({ t: 'send', groupId, epoch, msgId: newMsgId() }, bytes(30)));
  const commit = a.request({ t: 'commit', groupId, epoch, msgId: newMsgId(), add: [], remove: [], commitBytes: 50 }, bytes(50));
  const oks = await Promise.all(sends);
  assert.deepEqual(oks.map((f) => f.header.t), ['ok', 'ok', 'ok', 'ok', 'ok'], 'sent in the epoch they were made in');
  const c = await commit;
  assert.equal(c.header.t, 'ok');
  assert.ok(oks.every((f) => f.header.seq < c.header.seq));
  await a.close();
});

test('[WS-3] an ack with an id is answered ok on the fast path; a malformed one still gets its precise error', async () => {
  await using s = await startTestServer({}, undefined, { ackFlushIntervalMs: NEVER });
  const alice = await newUserDevice(s.url);
  const a = await TestSocket.connect(s.url, alice);
  const { groupId, epoch } = await createGroupWith(a, []);
  const { seqs } = await sendMany(a, groupId, epoch, 1);
  await a.waitFor((f) => f.header.t === 'ev' && f.header.seq === seqs[0]);
  const ok = (await a.request({ t: 'ack', groupId, seq: seqs[0] })).header;
  assert.deepEqual(Object.keys(ok).sort(), ['id', 't']);
  assert.equal(ok.t, 'ok');
  const bad = await a.request({ t: 'ack', groupId, seq: -1 });
  assert.equal(bad.header.code, 'BAD_REQUEST');
  assert.match(bad.header.message, /seq/);
  const notId = await a.request({ t: 'ack', groupId: 'x', seq: 1 });
  assert.equal(notId.header.code, 'BAD_REQUEST');
  a.sendRaw(JSON.stringify({ t: 'ack', groupId, seq: seqs[0] }));
  const before = a.frames.length;
  assert.equal((await a.request({ t: 'ping' })).header.t, 'ok');
  assert.deepEqual(a.frames.slice(before).map((f) => f.header.t), ['ok'], 'an ack without id is not answered');
  await a.close();
});

function pick(h: any): Record<string, unknown> {
  const { t, seq, duplicate, code, epoch } = h;
  return Object.fromEntries(Object.entries({ t, seq, duplicate, code, epoch }).filter(([, v]) => v !== undefined));
}
