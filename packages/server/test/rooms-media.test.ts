import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { inLoopbackNamespace } from '@charla/sfu/testing';
import { createSyntheticClient, type SyntheticClient } from '@charla/sfu/testing/client';
import { startSfuService, type SfuService } from '@charla/sfu/service';
import { createSfu } from '@charla/sfu';
import pino from 'pino';
import { SfuPool } from '../src/rooms/sfu-pool.ts';
import { sleep, startTestServer, type TestServer } from './helpers.ts';
import { createRoom, RoomClient, type TestRoom } from './rooms-helpers.ts';

// House rule: media tests run in a loopback-only network namespace (the file re-executes itself there).
inLoopbackNamespace('rooms media through the server', fileURLToPath(import.meta.url), () => {
  describe('rooms media: werift clients join through /v1/rooms/ws and the in-process SFU', () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ CHARLA_SFU_INTERFACE: '127.0.0.1', CHARLA_SFU_ANNOUNCED_ADDRESSES: '127.0.0.1', CHARLA_ROOM_RESUME_GRACE_MS: '5000' });
    });
    after(() => s[Symbol.asyncDispose]());

    it('[ROOM-6][ROOM-7][ROOM-10] three participants receive each other; speakers are reported; a removed one is cut off; a dropped one resumes with fresh media', { timeout: 90_000 }, async () => {
      await withRoomOf(s.url, 2, async (room, people) => {
        const [host, b, c] = people as [Person, Person, Person];

        // Speakers: the one who talks is reported to everyone; a receiver asking for one video (view)
        // gets the speaker's only.
        host.room.send({ t: 'view', lastN: 1 });
        b.media.setAudioLevel(10);
        const speakers = await c.room.waitFor((f) => f.t === 'speakers' && f.participantIds[0] === b.id, 10_000);
        assert.equal(speakers.participantIds[0], b.id);
        await waitUntil(() => host.media.receivingFrom('video', 500).join() === b.id, `the host to receive only the speaker's video (${host.media.receivingFrom('video', 500).join()})`, 10_000);
        assert.deepEqual(c.media.receivingFrom('video', 500).sort(), [host.id, b.id].sort(), 'the others keep their view');
        host.room.send({ t: 'view', lastN: 9 });
        b.media.setAudioLevel(127);

        // Remove c: it is told and closed; the others stop receiving it, and it stops receiving them.
        assert.equal((await host.room.request({ t: 'remove', participantId: c.id })).t, 'ok');
        await c.room.waitFor((f) => f.t === 'removed');
        await sleep(800);
        const fromC = [host, b].map((p) => packets(p, c.id, 'video'));
        const cGot = packets(c, b.id, 'video');
        await sleep(1500);
        assert.deepEqual([host, b].map((p) => packets(p, c.id, 'video')), fromC, 'nobody receives the removed participant');
        assert.equal(packets(c, b.id, 'video'), cGot, 'the removed participant receives nothing more');
        assert.ok(packets(host, b.id, 'video') > 0 && host.media.receivingFrom('video', 1000).includes(b.id), 'the others carry on');

        // b's network drops: it comes back on a new socket with its resume token and a new peer connection.
        const token = b.room.resumeToken;
        b.room.ws.terminate();
        await b.media.close();
        await sleep(300);
        const b2 = await Person.join(s.url, room, { resumeToken: token });
        people.push(b2);
        assert.equal(b2.id, b.id, 'the same participant');
        await waitUntil(() => b2.current?.receivingFrom('video', 1000).includes(host.id) && host.current?.receivingFrom('video', 1000).includes(b2.id), 'b to receive and be received again', 20_000);
        assert.equal(host.room.of('participantLeft').filter((f) => f.participantId === b.id).length, 0, 'the host never saw b leave');
      });
    });

    it('[ROOM-6] an answer to an offer no longer waiting is dropped, not taken for the answer to the offer waiting now', { timeout: 60_000 }, async () => {
      await withRoomOf(s.url, 1, async (room, people) => {
        const host = people[0]!;
        const previous = host.answers.at(-1)!;
        const offersBefore = host.room.of('offer').length;
        // The host is slow: c's arrival brings it an offer it does not answer yet, while its answer
        // to an earlier offer (late, say) arrives now.
        let answerNow = (): void => undefined;
        host.gate = new Promise((resolve) => (answerNow = resolve));
        people.push(await Person.join(s.url, room));
        const offer = await host.room.waitFor((f) => f.t === 'offer' && host.room.of('offer').indexOf(f) >= offersBefore, 10_000);
        assert.ok(offer.offerId > previous.offerId, `offers are numbered (${offer.offerId} after ${previous.offerId})`);
        host.room.send({ t: 'answer', sdp: previous.sdp, offerId: previous.offerId });
        await sleep(500);
        answerNow();
        await waitUntil(() => everyoneReceivesEveryone(people), 'all three to receive each other', 20_000);
        assert.deepEqual(host.room.of('err'), [], 'neither answer was refused');
        assert.equal(host.room.of('offer').length, offersBefore + 1, 'the offer waiting was answered by its own answer: no offer again');
      });
    });
  });

  describe('SfuPool', () => {
    it('[ROOM-6] a new room goes to the least loaded SFU; a room stays on its SFU', { timeout: 30_000 }, async () => {
      const pool = new SfuPool();
      const loopback = { iceAdditionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' as const } };
      const one = pool.add('one', (events) => createSfu({ ...events, ...loopback }));
      const two = pool.add('two', (events) => createSfu({ ...events, ...loopback }));
      const clients = [createSyntheticClient({ id: 'p1' }), createSyntheticClient({ id: 'p2' })];
      try {
        const first = await pool.assign('room-a');
        assert.equal(first, one, 'ties go to the first');
        for (const c of clients) await first!.sfu.join('room-a', c.id, c.signal.bind(c)).negotiated();
        assert.equal(await pool.assign('room-a'), one, 'a room stays where its participants are');
        assert.equal(await pool.assign('room-b'), two, 'the next room goes to the idle SFU');
        pool.release('room-a');
        await first!.sfu.leave('p1');
        await first!.sfu.leave('p2');
        assert.equal(await pool.assign('room-c'), one);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await pool.close();
      }
    });

    it('[ROOM-6] a remote SFU that cannot be reached takes no rooms, and the pool keeps trying', { timeout: 30_000 }, async () => {
      const logger = pino({ level: 'silent' });
      const pool = new SfuPool();
      let attempts = 0;
      pool.addRemote('ws://127.0.0.1:9/v1/sfu/control', async () => {
        attempts++;
        throw new Error('connection refused');
      }, logger);
      try {
        assert.equal(await pool.assign('room-a'), undefined);
        await sleep(1500);
        assert.ok(attempts >= 2, `retried (${attempts} attempts)`);
      } finally {
        await pool.close();
      }
    });
  });

  describe('rooms media through a separate `charla sfu` (control WebSocket)', () => {
    const secret = 'room-test-secret-0123456789';
    const sfuOptions = { host: '127.0.0.1', secret, iceAdditionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' as const } };
    let sfu: SfuService;
    let s: TestServer;
    before(async () => {
      sfu = await startSfuService({ ...sfuOptions, port: 0 });
      s = await startTestServer({ CHARLA_SFU_LOCAL: 'false', CHARLA_SFU_URLS: sfu.url, CHARLA_SFU_SECRET: secret });
    });
    after(async () => {
      await s[Symbol.asyncDispose]();
      await sfu.close();
    });

    it('[ROOM-6] the server assigns the room to the remote SFU; when that SFU restarts, the participants get media again', { timeout: 90_000 }, async () => {
      const room = await createRoom(s.url);
      const people: Person[] = [];
      try {
        await waitUntil(() => s.logs.some((l) => l.includes('connected to SFU')), 'the server to connect to the SFU', 10_000);
        people.push(await Person.join(s.url, room, { hostToken: room.hostToken }));
        people.push(await Person.join(s.url, room));
        await waitUntil(() => everyoneReceivesEveryone(people), 'both to receive each other through the remote SFU', 20_000);
        assert.equal(sfu.sfu.load().participants, 2, 'the media went through the separate SFU');
        assert.ok(!s.logs.join('').includes(secret), 'the SFU secret is never logged');

        // The SFU process goes away and comes back on the same address: new offers, media again.
        const port = sfu.port;
        await sfu.close();
        sfu = await startSfuService({ ...sfuOptions, port });
        const [a, b] = people as [Person, Person];
        const offersBefore = a.room.of('offer').length;
        await waitUntil(() => a.room.of('offer').length > offersBefore && b.room.of('offer').length > 1, 'fresh offers after the SFU restart', 30_000);
        await waitUntil(() => a.current?.receivingFrom('video', 1000).includes(b.id) && b.current?.receivingFrom('video', 1000).includes(a.id), 'media again after the SFU restart', 30_000);
        assert.equal(sfu.sfu.load().participants, 2);
        const sessions = a.room.of('offer').map((f) => f.session as number);
        assert.ok(sessions.at(-1)! > sessions[0]!, `a new SFU connection has a new offer session (${sessions.join()})`);
        assert.equal(a.room.of('participantLeft').length, 0, 'nobody left the room meanwhile');
      } finally {
        await Promise.all(people.map((p) => p.close()));
      }
    });
  });
});

/** A participant: a room socket and a werift peer connection that answers the SFU's offers. */
class Person {
  readonly room: RoomClient;
  /** The peer connection of the current SFU session (a new one per offer `session`). */
  current: SyntheticClient | undefined;
  /** The answers sent, in order. */
  readonly answers: { offerId: number; sdp: string }[] = [];
  /** Offers wait for this before they are answered (a slow client). */
  gate: Promise<void> = Promise.resolve();

  private constructor(room: RoomClient) {
    this.room = room;
  }

  get media(): SyntheticClient {
    if (!this.current) throw new Error('no offer yet');
    return this.current;
  }

  get id(): string {
    return this.room.participantId;
  }

  static async join(url: string, room: TestRoom, extra: Record<string, unknown> = {}): Promise<Person> {
    const client = await RoomClient.open(url);
    // The synthetic client labels its payloads with its id: use the participantId, which is also
    // the stream id the SFU gives this participant's tracks. A new offer `session` is a new SFU
    // peer connection ([ROOM-6]): answer it from a new client peer connection.
    const person = new Person(client);
    let session: number | undefined;
    // Offers are answered in order, one at a time (the SFU never has two outstanding per participant).
    let answering = Promise.resolve();
    client.ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8')) as { t: string; sdp?: string; session?: number; offerId?: number };
      if (f.t !== 'offer') return;
      answering = answering.then(async () => {
        await person.gate;
        if (person.current === undefined || f.session !== session) {
          const old = person.current;
          person.current = createSyntheticClient({ id: client.participantId, keyFrameIntervalMs: 1000 });
          session = f.session;
          await old?.close();
        }
        const answer = await person.current.signal({ type: 'offer', sdp: f.sdp! });
        client.send({ t: 'answer', sdp: answer.sdp, offerId: f.offerId });
        person.answers.push({ offerId: f.offerId!, sdp: answer.sdp });
      });
    });
    const joined = await client.sendJoin(room, extra);
    assert.equal(joined.t, 'joined', JSON.stringify(joined));
    return person;
  }

  async close(): Promise<void> {
    await this.room.close().catch(() => undefined);
    await this.current?.close().catch(() => undefined);
  }
}

/** Received packets of one kind from one publisher; stream id = the publisher's participantId. */
function packets(p: Person, from: string, kind: 'audio' | 'video'): number {
  return p.current?.received.get(`${from}:${kind}`)?.packets ?? 0;
}

/**
 * A new room with its host and `guests` others joined and receiving each other's audio and video;
 * runs `fn` with them (host first; `fn` may add people), then closes everyone.
 */
async function withRoomOf(url: string, guests: number, fn: (room: TestRoom, people: Person[]) => Promise<void>): Promise<void> {
  const room = await createRoom(url);
  const people: Person[] = [];
  try {
    people.push(await Person.join(url, room, { hostToken: room.hostToken }));
    for (let i = 0; i < guests; i++) people.push(await Person.join(url, room));
    await waitUntil(() => everyoneReceivesEveryone(people), `all ${people.length} to receive each other's audio and video`, 20_000);
    await fn(room, people);
  } finally {
    await Promise.all(people.map((p) => p.close()));
  }
}

function everyoneReceivesEveryone(people: readonly Person[]): boolean {
  return people.every((r) => people.every((p) => p === r || (packets(r, p.id, 'video') > 10 && packets(r, p.id, 'audio') > 10)));
}

async function waitUntil(condition: () => unknown, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
