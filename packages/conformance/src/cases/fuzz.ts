import { encodeFrame, randomId } from '@charla/protocol';
import type { Case } from '../case.ts';
import type { Context, Device } from '../harness/context.ts';
import type { Connection } from '../harness/connection.ts';
import { check } from '../harness/failures.ts';

/** Codes a server may answer a garbage frame with. INTERNAL (or a closed connection) is a bug. */
const ACCEPTABLE = new Set([
  'BAD_REQUEST', 'UNKNOWN_FRAME_TYPE', 'FRAME_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'RATE_LIMITED', 'NOT_A_MEMBER',
  'UNKNOWN_GROUP', 'EPOCH_CONFLICT', 'MESSAGE_ID_REUSED', 'INVALID_MEMBERSHIP', 'GROUP_EXISTS', 'FORBIDDEN', 'NOT_FOUND',
]);
const FRAMES = 3000;
const CONNECTIONS = 6;
/** Per connection, below the default sustained rate so that most frames are really parsed. */
const FRAMES_PER_SECOND = 150;

/** mulberry32: a seeded PRNG, so a failing run can be replayed from the seed in its message. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Fuzzer {
  readonly rand: () => number;
  readonly groupId: string;
  readonly deviceIds: string[];
  constructor(seed: number, groupId: string, deviceIds: string[]) {
    this.rand = prng(seed);
    this.groupId = groupId;
    this.deviceIds = deviceIds;
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }

  /** A header that passes (or nearly passes) its schema. */
  validHeader(): Record<string, unknown> {
    const id = 100_000 + this.int(1_000_000);
    const g = this.rand() < 0.7 ? this.groupId : randomId();
    return this.pick([
      () => ({ t: 'ping', id }),
      () => ({ t: 'groupInfo', id, groupId: g }),
      () => ({ t: 'ack', id, groupId: g, seq: this.int(50) }),
      () => ({ t: 'send', id, groupId: g, epoch: this.int(3), msgId: randomId() }),
      () => ({ t: 'send', id, groupId: g, epoch: this.int(3), msgId: randomId(), ephemeral: true }),
      () => ({ t: 'commit', id, groupId: g, epoch: this.int(3), msgId: randomId(), add: [this.pick(this.deviceIds)], remove: [], commitBytes: 1 + this.int(40) }),
      () => ({ t: 'redact', id, groupId: g, msgId: randomId() }),
      () => ({ t: 'createGroup', id, groupId: randomId() }),
    ])();
  }

  weird(): unknown {
    return this.pick<() => unknown>([
      () => 1e308,
      () => -1,
      () => 2 ** 53 + 2,
      () => 2 ** 31 + 1,
      () => 0.5,
      () => '',
      () => 'x'.repeat(this.int(5000)),
      () => null,
      () => true,
      () => [],
      () => ({}),
      () => [this.randomJson(2)],
      () => '\u0000\ud800',
      () => randomId(),
      () => this.pick(this.deviceIds),
    ])();
  }

  randomJson(depth: number): unknown {
    if (depth <= 0 || this.rand() < 0.3) return this.weird();
    if (this.rand() < 0.5) return Array.from({ length: this.int(5) }, () => this.randomJson(depth - 1));
    const keys = ['t', 'id', 'groupId', 'epoch', 'msgId', 'seq', 'add', 'remove', 'commitBytes', 'token', 'protocol', '__proto__', 'constructor'];
    return Object.fromEntries(Array.from({ length: this.int(6) }, () => [this.pick(keys), this.randomJson(depth - 1)]));
  }

  /** One garbage WebSocket message. */
  frame(): Uint8Array | string {
    const header = this.validHeader();
    const body = this.bytes(this.int(200));
    switch (this.int(9)) {
      case 0: {
        // A valid frame with a few bytes flipped.
        const f = encodeFrame(header, header.t === 'send' || header.t === 'commit' ? body : undefined);
        for (let i = 0, n = 1 + this.int(4); i < n; i++) {
          const k = this.int(f.length);
          f[k] = f[k]! ^ (1 << this.int(8));
        }
        return f;
      }
      case 1: {
        const f = encodeFrame(header, body);
        return f.subarray(0, this.int(f.length));
      }
      case 2:
        return JSON.stringify(this.randomJson(4));
      case 3: {
        // A real frame type with one field given a wrong type or an absurd value.
        const keys = Object.keys(header);
        return encodeFrame({ ...header, [this.pick(keys)]: this.weird() }, this.rand() < 0.5 ? body : undefined);
      }
      case 4:
        return this.bytes(this.int(2000));
      case 5: {
        // A length prefix that lies.
        const f = encodeFrame(header, body);
        new DataView(f.buffer).setUint32(0, this.pick([0, 1, 0xffffffff, f.length, f.length - 3]));
        return f;
      }
      case 6:
        return encodeFrame({ ...header, t: this.pick(['', 'PING', 'ok', 'err', 'ev', 'synced', 'auth', 'x'.repeat(300), 'toString']) });
      case 7:
        return this.pick(['[', '{"t":', 'null', '0', '"ping"', '[]', '{}', `${'['.repeat(3000)}${']'.repeat(3000)}`, '\ufeff{"t":"ping","id":1}']);
      default:
        return encodeFrame({ ...header, extra: this.randomJson(3) }, header.t === 'send' ? body : undefined);
    }
  }
}

async function fuzzConnection(conn: Connection, fuzzer: Fuzzer, frames: number, deadline: number): Promise<number> {
  let sent = 0;
  const interval = 1000 / FRAMES_PER_SECOND;
  const started = performance.now();
  for (; sent < frames && Date.now() < deadline; sent++) {
    if (conn.isClosed) break;
    conn.sendRaw(fuzzer.frame());
    if (sent % 50 === 49) {
      // A liveness probe: the connection still answers (ok, or RATE_LIMITED while we are noisy).
      const answer = await conn.request({ t: 'ping' }, undefined, 15_000);
      check(answer.ok || answer.error.code === 'RATE_LIMITED', `${conn.label}: ping during fuzzing answered ${JSON.stringify(answer)}`);
    }
    const ahead = started + sent * interval - performance.now();
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
  return sent;
}

async function normalClientsStillWork(ctx: Context): Promise<void> {
  const health = await fetch(new URL('/healthz', ctx.base));
  check(health.status === 200, `/healthz answered ${health.status} after fuzzing`);
  const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
  const [a, b] = await Promise.all([ctx.connect(ana, 'after-ana'), ctx.connect(bob, 'after-bob')]);
  await Promise.all([a.waitSynced(), b.waitSynced()]);
  const groupId = await ctx.createGroup(a);
  await ctx.commit(a, groupId, 0, [bob]);
  const sent = await ctx.send(a, groupId, 1);
  await b.takeEvent((e) => e.header.kind === 'app' && e.header.seq === sent.seq, 'a message after fuzzing');
}

export const fuzzCases: readonly Case[] = [
  {
    rule: '[WS-8]',
    title: `fuzz: ${FRAMES} random and mutated frames from ${CONNECTIONS} connections; the server stays up and correct`,
    timeoutMs: 90_000,
    async run(ctx) {
      const seed = (Math.random() * 2 ** 32) >>> 0;
      const devices: Device[] = [];
      for (let i = 0; i < CONNECTIONS; i++) devices.push(await ctx.newDevice());
      const conns = await Promise.all(devices.map((d, i) => ctx.connect(d, `fuzz${i}`)));
      await Promise.all(conns.map((c) => c.waitSynced()));
      const groupId = await ctx.createGroup(conns[0]!);
      await ctx.commit(conns[0]!, groupId, 0, devices.slice(1, 3));
      const deviceIds = devices.map((d) => d.deviceId);
      const deadline = Date.now() + 60_000;
      const counts = await Promise.all(
        conns.map((c, i) => fuzzConnection(c, new Fuzzer(seed + i, groupId, deviceIds), Math.ceil(FRAMES / CONNECTIONS), deadline)),
      ).catch((e: Error) => {
        throw new Error(`${e.message} (seed ${seed})`);
      });
      for (const c of conns) {
        check(!c.isClosed, `${c.label}: the server closed the connection during fuzzing (seed ${seed})`);
        await c.ok({ t: 'ping' }).catch(async () => {
          await new Promise((r) => setTimeout(r, 2_500));
          await c.ok({ t: 'ping' });
        });
        for (const f of c.frames) {
          if (f.header.t === 'err') check(ACCEPTABLE.has(String(f.header.code)), `${c.label}: a fuzzed frame answered ${String(f.header.code)}: ${String(f.header.message)} (seed ${seed})`);
        }
      }
      const total = counts.reduce((a, b) => a + b, 0);
      check(total >= FRAMES * 0.9, `only ${total} of ${FRAMES} frames were sent before the deadline`);
      // Most garbage frames must have been answered (an err, or an ok for a mutation that stayed
      // valid): a server that silently drops input would otherwise pass this case.
      const answered = conns.reduce((n, c) => n + c.stray.length, 0);
      check(answered >= total * 0.5, `only ${answered} of ${total} fuzzed frames were answered`);
      const parsed = conns.reduce((n, c) => n + c.stray.filter((f) => f.header.code === 'BAD_REQUEST').length, 0);
      check(parsed >= total * 0.1, `only ${parsed} fuzzed frames answered BAD_REQUEST: were they parsed at all?`);
      await normalClientsStillWork(ctx);
    },
  },
];
