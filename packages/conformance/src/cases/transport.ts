import { PROTOCOL_VERSION, randomId } from '@charla/protocol';
import type { Case } from '../case.ts';
import { check } from '../harness/failures.ts';

export const transportCases: readonly Case[] = [
  {
    rule: '[WS-7]',
    title: 'a frame before auth answers NOT_AUTHENTICATED_YET and closes; a new connection can auth',
    async run(ctx) {
      const device = await ctx.newDevice();
      for (const frame of [{ t: 'ping' }, { t: 'groupInfo', groupId: randomId() }]) {
        const early = await ctx.open();
        await early.err(frame, 'NOT_AUTHENTICATED_YET');
        const closed = await Promise.race([early.closed, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
        check(closed !== null, 'the connection stayed open after NOT_AUTHENTICATED_YET');
        check(closed.code === 1008 && closed.reason === 'NOT_AUTHENTICATED_YET', `[WS-11] closed with ${closed.code} ${closed.reason}`);
      }
      const conn = await ctx.open();
      const me = await conn.auth(device.token);
      check(me.deviceId === device.deviceId && me.userId === device.user.userId, `auth answered ${JSON.stringify(me)}`);
      await conn.waitSynced();
    },
  },
  {
    rule: '[WS-7]',
    title: 'auth with a forged token answers UNAUTHENTICATED and the server closes the connection',
    async run(ctx) {
      const conn = await ctx.open();
      await conn.err({ t: 'auth', token: randomId(32), protocol: PROTOCOL_VERSION }, 'UNAUTHENTICATED');
      await Promise.race([conn.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open after a failed auth')), 5_000))]);
    },
  },
  {
    rule: '[VER-4]',
    title: 'auth with another protocol version answers UNSUPPORTED_VERSION',
    async run(ctx) {
      const device = await ctx.newDevice();
      const conn = await ctx.open();
      await conn.err({ t: 'auth', token: device.token, protocol: PROTOCOL_VERSION + 98 }, 'UNSUPPORTED_VERSION');
    },
  },
  {
    rule: '[WS-8]',
    title: 'undecodable, unknown and malformed frames each get their error and the connection stays usable',
    async run(ctx) {
      const device = await ctx.newDevice();
      const conn = await ctx.connect(device);
      await conn.waitSynced();
      const cases: [string, Uint8Array | string, string, number | undefined][] = [
        ['a 2-byte binary frame', new Uint8Array([0, 1]), 'BAD_REQUEST', undefined],
        ['a header length beyond the frame', new Uint8Array([0, 0, 0, 200, 123, 125]), 'BAD_REQUEST', undefined],
        ['a header that is not JSON', encodeText('{"t":"ping",'), 'BAD_REQUEST', undefined],
        ['a text frame that is not JSON', 'not json at all', 'BAD_REQUEST', undefined],
        ['a header that is an array', JSON.stringify([1, 2, 3]), 'BAD_REQUEST', undefined],
        ['an unknown frame type', JSON.stringify({ t: 'teleport', id: 9001 }), 'UNKNOWN_FRAME_TYPE', 9001],
        ['a groupInfo without groupId', JSON.stringify({ t: 'groupInfo', id: 9002 }), 'BAD_REQUEST', 9002],
        ['a send with fields of the wrong types', JSON.stringify({ t: 'send', id: 9003, groupId: 5, epoch: 'one', msgId: '' }), 'BAD_REQUEST', 9003],
      ];
      for (const [what, data, code, id] of cases) {
        const before = conn.frames.length;
        conn.sendRaw(data);
        const frame = await conn.waitFor((f) => f.header.t === 'err' && conn.frames.indexOf(f) >= before, `err for ${what}`, 5_000);
        check(frame.header.code === code, `${what}: expected ${code}, got ${String(frame.header.code)}`);
        if (id !== undefined) check(frame.header.id === id, `${what}: err carries id ${String(frame.header.id)}, expected ${id}`);
        await conn.ok({ t: 'ping' });
      }
    },
  },
  {
    rule: '[WS-8]',
    title: 'a frame over maxFrameBytes answers FRAME_TOO_LARGE and the connection stays usable',
    timeoutMs: 30_000,
    async run(ctx) {
      const device = await ctx.newDevice();
      const conn = await ctx.connect(device);
      await conn.waitSynced();
      const before = conn.frames.length;
      conn.send({ t: 'send', id: 77, groupId: randomId(), epoch: 0, msgId: randomId() }, new Uint8Array(ctx.info.limits.maxFrameBytes + 1));
      const frame = await conn.waitFor((f) => f.header.t === 'err' && conn.frames.indexOf(f) >= before, 'FRAME_TOO_LARGE', 15_000);
      check(frame.header.code === 'FRAME_TOO_LARGE', `expected FRAME_TOO_LARGE, got ${String(frame.header.code)}`);
      check(!conn.isClosed, 'the server closed the connection');
      await conn.ok({ t: 'ping' });
    },
  },
  {
    rule: '[WS-9]',
    title: 'ping answers ok with the same id, as text or binary frame',
    async run(ctx) {
      const device = await ctx.newDevice();
      const conn = await ctx.connect(device);
      await conn.ok({ t: 'ping' });
      conn.send({ t: 'ping', id: 4242 }, undefined, true);
      await conn.waitFor((f) => f.header.t === 'ok' && f.header.id === 4242, 'ok to a binary ping', 5_000);
    },
  },
  {
    rule: '[WS-10]',
    title: 'a second auth on an authenticated connection answers BAD_REQUEST',
    async run(ctx) {
      const device = await ctx.newDevice();
      const conn = await ctx.connect(device);
      await conn.err({ t: 'auth', token: device.token, protocol: PROTOCOL_VERSION }, 'BAD_REQUEST');
      await conn.ok({ t: 'ping' });
    },
  },
  {
    rule: '[LIM-2]',
    title: 'frames over the burst answer RATE_LIMITED with retryAfterMs, and the device recovers',
    timeoutMs: 40_000,
    async run(ctx) {
      const { frameBurst, framesPerSecond } = ctx.info.limits;
      const device = await ctx.newDevice();
      const conn = await ctx.connect(device);
      await conn.waitSynced();
      const n = frameBurst + Math.max(50, Math.ceil(framesPerSecond / 2));
      const answers = await Promise.all(Array.from({ length: n }, () => conn.request({ t: 'ping' }, undefined, 20_000)));
      const limited = answers.filter((a) => !a.ok);
      check(limited.length > 0, `${n} pings at once were all answered ok (burst ${frameBurst})`);
      for (const a of limited) {
        check(!a.ok && a.error.code === 'RATE_LIMITED', `unexpected answer ${JSON.stringify(a)}`);
        check(typeof a.error.retryAfterMs === 'number' && a.error.retryAfterMs >= 0, 'RATE_LIMITED without retryAfterMs');
      }
      const wait = Math.max(...limited.map((a) => (a.ok ? 0 : (a.error.retryAfterMs ?? 0))));
      await new Promise((r) => setTimeout(r, Math.min(wait, 5_000) + 100));
      await conn.ok({ t: 'ping' });
    },
  },
];

function encodeText(text: string): Uint8Array {
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + h.length);
  new DataView(out.buffer).setUint32(0, h.length);
  out.set(h, 4);
  return out;
}

