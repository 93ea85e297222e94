import { toBase64Url } from '@charla/protocol';
import type { Case } from '../case.ts';
import type { Context } from '../harness/context.ts';
import { randomBytes } from '../harness/context.ts';
import { CaseFailure, check, describe } from '../harness/failures.ts';
import { expectHttpError, expectOk } from '../harness/http-client.ts';
import { RoomConnection, type RoomFrame } from '../harness/room-connection.ts';

/** A conformance client knows no link secret: any 32 bytes serve as the access key ([ROOM-1]). */
const key32 = (): string => toBase64Url(randomBytes(32));

interface Room {
  roomId: string;
  accessKey: string;
  hostToken: string;
}

/** Room sockets of one case: closed at the end, and their protocol violations fail the case. */
class Rooms {
  readonly ctx: Context;
  readonly conns: RoomConnection[] = [];
  private counter = 0;

  constructor(ctx: Context) {
    this.ctx = ctx;
  }

  async create(lobby = false): Promise<Room> {
    const device = await this.ctx.newDevice();
    const accessKey = key32();
    const r = expectOk(await this.ctx.http.call('createRoom', { token: device.token, body: { accessKey, lobby } }), 'createRoom') as { roomId: string; hostToken: string };
    return { roomId: r.roomId, accessKey, hostToken: r.hostToken };
  }

  async open(label = `room socket ${++this.counter}`): Promise<RoomConnection> {
    const c = await RoomConnection.open(this.ctx.base, label);
    this.conns.push(c);
    return c;
  }

  joinFrame(room: Room, extra: Record<string, unknown> = {}): RoomFrame {
    return { t: 'join', roomId: room.roomId, accessKey: room.accessKey, name: toBase64Url(randomBytes(30)), pub: key32(), pubMac: key32(), ...extra };
  }

  /** Opens a socket and joins; the answer must be `expect`. */
  async join(room: Room, expect: 'joined' | 'lobby', extra: Record<string, unknown> = {}): Promise<{ conn: RoomConnection; answer: RoomFrame }> {
    const conn = await this.open();
    const answer = await conn.request(this.joinFrame(room, extra));
    if (answer.t !== expect) throw new CaseFailure(`join expected ${expect}, got ${describe(answer)}`);
    return { conn, answer };
  }

  async run(fn: (rooms: Rooms) => Promise<void>): Promise<void> {
    try {
      await fn(this);
      const violations = this.conns.flatMap((c) => c.violations.map((v) => `${c.label}: ${v}`));
      if (violations.length > 0) throw new CaseFailure(`protocol violations: ${violations.join('; ')}`);
    } finally {
      await Promise.all(this.conns.map((c) => c.close()));
    }
  }
}

const withRooms = (fn: (rooms: Rooms) => Promise<void>) => (ctx: Context) => new Rooms(ctx).run(fn);

export const roomCases: readonly Case[] = [
  {
    rule: '[ROOM-2]',
    title: 'createRoom answers a room id, a host token and an expiry; it needs a session and a 32-byte access key',
    run: withRooms(async (rooms) => {
      const { ctx } = rooms;
      const device = await ctx.newDevice();
      const started = Date.now();
      const r = expectOk(await ctx.http.call('createRoom', { token: device.token, body: { accessKey: key32() } }), 'createRoom') as { roomId: string; hostToken: string; expiresAt: number };
      check(/^[A-Za-z0-9_-]{22}$/.test(r.roomId) && /^[A-Za-z0-9_-]{43}$/.test(r.hostToken), `createRoom answered ${describe(r)}`);
      check(r.expiresAt > started, 'expiresAt is in the past');
      expectHttpError(await ctx.http.call('createRoom', { body: { accessKey: key32() } }), 'UNAUTHENTICATED', 'createRoom without a session');
      expectHttpError(await ctx.http.call('createRoom', { token: device.token, body: { accessKey: 'too-short' } }), 'BAD_REQUEST', 'createRoom with a short access key');
    }),
  },
  {
    rule: '[ROOM-3]',
    title: 'join answers UNKNOWN_ROOM and ROOM_KEY_MISMATCH (access key or host token), NOT_IN_ROOM before joining; the socket may join after',
    run: withRooms(async (rooms) => {
      const room = await rooms.create();
      const conn = await rooms.open();
      await conn.err({ t: 'chat', data: toBase64Url(randomBytes(16)) }, 'NOT_IN_ROOM');
      await conn.ok({ t: 'ping' });
      await conn.err(rooms.joinFrame({ ...room, roomId: toBase64Url(randomBytes(16)) }), 'UNKNOWN_ROOM');
      await conn.err(rooms.joinFrame({ ...room, accessKey: key32() }), 'ROOM_KEY_MISMATCH');
      await conn.err(rooms.joinFrame(room, { hostToken: key32() }), 'ROOM_KEY_MISMATCH');
      const joined = await conn.ok(rooms.joinFrame(room, { hostToken: room.hostToken }));
      check(joined.t === 'joined' && joined.role === 'host', `a join with the host token answered ${describe(joined)}`);
    }),
  },
  {
    rule: '[ROOM-4]',
    title: 'a second participant gets the first in joined.participants; the first hears participantJoined',
    run: withRooms(async (rooms) => {
      const room = await rooms.create();
      const { conn: host, answer: h } = await rooms.join(room, 'joined', { hostToken: room.hostToken });
      const frame = rooms.joinFrame(room);
      const guest = await rooms.open();
      const g = await guest.ok(frame);
      check(g.role === 'guest', `guest joined as ${String(g.role)}`);
      const others = g.participants as { participantId: string; name: string; pub: string; role: string }[];
      check(others.length === 1 && others[0]?.participantId === h.participantId && others[0]?.role === 'host', `joined.participants: ${describe(others)}`);
      const seen = await host.waitFor((f) => f.t === 'participantJoined', 'participantJoined');
      const p = seen.participant as { participantId: string; name: string; pub: string };
      check(p.participantId === g.participantId && p.name === frame.name && p.pub === frame.pub, `participantJoined: ${describe(seen)}`);
    }),
  },
  {
    rule: '[ROOM-7]',
    title: 'only hosts use host controls (NOT_HOST); a locked room refuses guests (ROOM_LOCKED) but not the host token',
    run: withRooms(async (rooms) => {
      const room = await rooms.create();
      const { conn: host } = await rooms.join(room, 'joined', { hostToken: room.hostToken });
      const { conn: guest, answer: g } = await rooms.join(room, 'joined');
      for (const frame of [{ t: 'lock', locked: true }, { t: 'remove', participantId: g.participantId }, { t: 'askMute', participantId: g.participantId }]) {
        await guest.err(frame as RoomFrame, 'NOT_HOST');
      }
      await host.ok({ t: 'lock', locked: true });
      const locked = await guest.waitFor((f) => f.t === 'locked', 'locked');
      check(locked.locked === true, `locked: ${describe(locked)}`);
      const late = await rooms.open();
      await late.err(rooms.joinFrame(room), 'ROOM_LOCKED');
      await rooms.join(room, 'joined', { hostToken: room.hostToken });
    }),
  },
  {
    rule: '[ROOM-7]',
    title: 'lobby: a guest knocks, admit → joined, refuse → refused and closed; remove → removed and participantLeft',
    run: withRooms(async (rooms) => {
      const room = await rooms.create(true);
      const { conn: host } = await rooms.join(room, 'joined', { hostToken: room.hostToken });
      const { conn: a, answer: la } = await rooms.join(room, 'lobby');
      const knock = await host.waitFor((f) => f.t === 'knock', 'knock');
      check((knock.participant as { participantId: string }).participantId === la.participantId, `knock: ${describe(knock)}`);
      await a.err({ t: 'chat', data: toBase64Url(randomBytes(8)) }, 'NOT_IN_ROOM');
      await host.ok({ t: 'admit', participantId: la.participantId });
      await a.waitFor((f) => f.t === 'joined', 'joined after admit');
      await host.waitFor((f) => f.t === 'participantJoined', 'participantJoined after admit');
      const { conn: b, answer: lb } = await rooms.join(room, 'lobby');
      await host.ok({ t: 'refuse', participantId: lb.participantId });
      await b.waitFor((f) => f.t === 'refused', 'refused');
      await b.closed;
      await host.err({ t: 'admit', participantId: lb.participantId }, 'UNKNOWN_PARTICIPANT');
      await host.ok({ t: 'remove', participantId: la.participantId });
      await a.waitFor((f) => f.t === 'removed', 'removed');
      const left = await host.waitFor((f) => f.t === 'participantLeft', 'participantLeft');
      check(left.participantId === la.participantId && left.reason === 'removed', `participantLeft: ${describe(left)}`);
    }),
  },
  {
    rule: '[ROOM-11]',
    title: 'room frames that are not JSON or break the schema answer BAD_REQUEST and the socket stays usable',
    run: withRooms(async (rooms) => {
      const room = await rooms.create();
      const { conn } = await rooms.join(room, 'joined');
      await conn.err({ t: 'relay', to: 'nobody', data: '***' }, 'BAD_REQUEST');
      await conn.err({ t: 'teleport' }, 'BAD_REQUEST');
      const before = conn.frames.length;
      conn.socket.send('not json');
      await conn.waitFor((f) => f.t === 'err' && f.code === 'BAD_REQUEST' && conn.frames.indexOf(f) >= before, 'BAD_REQUEST for a text frame that is not JSON');
      await conn.ok({ t: 'ping' });
    }),
  },
];
