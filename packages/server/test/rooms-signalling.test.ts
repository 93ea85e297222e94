import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_ROOM_LOBBY } from '@charla/protocol';
import { sleep, startTestServer, type TestServer } from './helpers.ts';
import { b64, createRoom, RoomClient, ROOM_TEST_ENV } from './rooms-helpers.ts';

describe('room signalling: /v1/rooms/ws', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer(ROOM_TEST_ENV, undefined, { roomJoinTimeoutMs: 1500 });
  });
  after(() => s[Symbol.asyncDispose]());

  it('[ROOM-3] join errors: unknown room, wrong access key, wrong host token; frames before join fail NOT_IN_ROOM', async () => {
    const room = await createRoom(s.url);
    const c = await RoomClient.open(s.url);
    const unknown = await c.sendJoin({ ...room, roomId: b64(16) });
    assert.deepEqual([unknown.t, unknown.code], ['err', 'UNKNOWN_ROOM']);
    const mismatch = await c.sendJoin({ ...room, accessKey: b64(32) });
    assert.deepEqual([mismatch.t, mismatch.code], ['err', 'ROOM_KEY_MISMATCH']);
    const badHost = await c.sendJoin(room, { hostToken: b64(32) });
    assert.deepEqual([badHost.t, badHost.code], ['err', 'ROOM_KEY_MISMATCH']);
    const early = await c.request({ t: 'chat', data: b64(20) });
    assert.deepEqual([early.t, early.code], ['err', 'NOT_IN_ROOM']);
    assert.equal((await c.request({ t: 'ping' })).t, 'ok', 'ping works before joining');
    // The same socket may still join after failures.
    const ok = await c.sendJoin(room);
    assert.equal(ok.t, 'joined');
    assert.equal(ok.role, 'guest');
    await c.close();
  });

  it('[ROOM-11] bad frames get typed errors: not JSON, binary, schema, too large; the socket survives', async () => {
    const room = await createRoom(s.url);
    const { client: c } = await RoomClient.join(s.url, room);
    c.send({ t: 'relay', id: 7, to: 'nope', data: '!!' });
    const bad = await c.waitFor((f) => f.t === 'err' && f.id === 7);
    assert.equal(bad.code, 'BAD_REQUEST');
    c.ws.send('{not json');
    assert.equal((await c.next('err')).code, 'BAD_REQUEST');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.next('err')).code, 'BAD_REQUEST');
    c.send({ t: 'chat', id: 8, data: 'A'.repeat(257 * 1024) });
    assert.equal((await c.next('err')).code, 'FRAME_TOO_LARGE');
    c.send({ t: 'bogus', id: 9 });
    assert.equal((await c.waitFor((f) => f.t === 'err' && f.id === 9)).code, 'BAD_REQUEST');
    assert.equal((await c.request({ t: 'ping' })).t, 'ok');
    // Far past the limit ws closes the socket (1009) without buffering it all.
    c.ws.send('x'.repeat(400 * 1024));
    assert.equal((await c.closed).code, 1009);
  });

  it('[ROOM-11] frames are rate limited per socket (RATE_LIMITED with retryAfterMs)', async () => {
    const room = await createRoom(s.url);
    const { client: c } = await RoomClient.join(s.url, room);
    for (let i = 0; i < 80; i++) c.send({ t: 'ping', id: 1000 + i });
    const limited = await c.waitFor((f) => f.t === 'err' && f.code === 'RATE_LIMITED');
    assert.ok(limited.retryAfterMs > 0);
    // The answers to the burst may come after the err (it is sent on arrival): wait for the 50th.
    const fiftieth = await c.waitFor((f) => (f.t === 'ok' || f.t === 'err') && f.id === 1049);
    assert.equal(fiftieth.t, 'ok', 'the burst passes');
    assert.ok(c.of('ok').length >= 50, 'the burst passes');
    await c.close();
  });

  it('[ROOM-3] a socket that does not join in time is closed', async () => {
    const c = await RoomClient.open(s.url);
    const closed = await c.closed;
    assert.equal(closed.code, 4008);
    assert.equal(c.of('err')[0]?.code, 'NOT_IN_ROOM');
  });

  it('[ROOM-4] host and guests: joined lists the others, everyone hears participantJoined; roles', async () => {
    const room = await createRoom(s.url);
    const { client: host, answer: hj } = await RoomClient.join(s.url, room, { hostToken: room.hostToken, media: { audio: true, video: true, screen: false } });
    assert.equal(hj.role, 'host');
    assert.deepEqual(hj.participants, []);
    assert.equal(hj.locked, false);
    const { client: g1, answer: g1j } = await RoomClient.join(s.url, room);
    assert.equal(g1j.role, 'guest');
    assert.deepEqual(g1j.participants, [{ participantId: host.participantId, name: host.name, pub: host.pub, pubMac: host.pubMac, role: 'host', media: { audio: true, video: true, screen: false } }]);
    const seen = await host.waitFor((f) => f.t === 'participantJoined');
    assert.deepEqual(seen.participant, { participantId: g1.participantId, name: g1.name, pub: g1.pub, pubMac: g1.pubMac, role: 'guest', media: { audio: false, video: false, screen: false } });
    const { client: g2, answer: g2j } = await RoomClient.join(s.url, room);
    assert.deepEqual(g2j.participants.map((p: { participantId: string }) => p.participantId).sort(), [host.participantId, g1.participantId].sort());
    await g1.waitFor((f) => f.t === 'participantJoined' && f.participant.participantId === g2.participantId);
    assert.equal(g2.of('participantJoined').length, 0, 'nobody is told about themselves');
    // state → participantUpdated to the others.
    g2.send({ t: 'state', media: { audio: true, video: false, screen: true } });
    const upd = await host.waitFor((f) => f.t === 'participantUpdated');
    assert.deepEqual(upd, { t: 'participantUpdated', participantId: g2.participantId, media: { audio: true, video: false, screen: true } });
    await Promise.all([host.close(), g1.close(), g2.close()]);
  });

  it('[ROOM-7] lock: guests get ROOM_LOCKED, the host token still joins; only hosts may lock', async () => {
    const room = await createRoom(s.url);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: guest } = await RoomClient.join(s.url, room);
    const denied = await guest.request({ t: 'lock', locked: true });
    assert.deepEqual([denied.t, denied.code], ['err', 'NOT_HOST']);
    assert.equal((await host.request({ t: 'lock', locked: true })).t, 'ok');
    assert.deepEqual(await guest.waitFor((f) => f.t === 'locked'), { t: 'locked', locked: true, lobby: false });
    const late = await RoomClient.join(s.url, room);
    assert.deepEqual([late.answer.t, late.answer.code], ['err', 'ROOM_LOCKED']);
    const cohost = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    assert.equal(cohost.answer.t, 'joined');
    assert.equal(cohost.answer.role, 'host');
    assert.equal(cohost.answer.locked, true);
    await host.request({ t: 'lock', locked: false });
    assert.equal((await late.client.sendJoin(room)).t, 'joined', 'unlocked: the same socket joins');
    await Promise.all([host.close(), guest.close(), late.client.close(), cohost.client.close()]);
  });

  it('[ROOM-7] lobby: the guest knocks, hosts see it; admit → joined + participantJoined; refuse → refused and closed', async () => {
    const room = await createRoom(s.url, true);
    const { client: host, answer: hj } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    assert.equal(hj.lobbyEnabled, true);
    const { client: g1, answer: lobby } = await RoomClient.join(s.url, room);
    assert.equal(lobby.t, 'lobby');
    const knock = await host.waitFor((f) => f.t === 'knock');
    assert.equal(knock.participant.participantId, g1.participantId);
    assert.equal(knock.participant.name, g1.name);
    const waiting = await g1.request({ t: 'chat', data: b64(10) });
    assert.equal(waiting.code, 'NOT_IN_ROOM', 'a lobby guest can do nothing but wait');
    // A guest already inside cannot admit.
    assert.equal((await host.request({ t: 'admit', participantId: g1.participantId })).t, 'ok');
    const joined = await g1.waitFor((f) => f.t === 'joined');
    assert.equal(joined.participants[0].participantId, host.participantId);
    assert.deepEqual(joined.lobby, [], 'guests are not shown the lobby');
    await host.waitFor((f) => f.t === 'lobbyLeft' && f.participantId === g1.participantId);
    await host.waitFor((f) => f.t === 'participantJoined' && f.participant.participantId === g1.participantId);

    const { client: g2 } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock' && f.participant.participantId === g2.participantId);
    assert.equal((await g1.request({ t: 'admit', participantId: g2.participantId })).code, 'NOT_HOST');
    // A host joining later sees who waits.
    const { client: cohost, answer: cj } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    assert.deepEqual(cj.lobby.map((p: { participantId: string }) => p.participantId), [g2.participantId]);
    assert.equal((await host.request({ t: 'refuse', participantId: g2.participantId })).t, 'ok');
    await g2.waitFor((f) => f.t === 'refused');
    await g2.closed;
    await cohost.waitFor((f) => f.t === 'lobbyLeft' && f.participantId === g2.participantId);
    assert.equal((await host.request({ t: 'admit', participantId: g2.participantId })).code, 'UNKNOWN_PARTICIPANT');
    assert.ok(!g1.frames.some((f) => f.t === 'knock' || f.t === 'lobbyLeft'), 'guests never see the lobby');

    // A lobby guest who gives up: the hosts are told.
    const { client: g3 } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock' && f.participant.participantId === g3.participantId);
    await g3.close();
    await host.waitFor((f) => f.t === 'lobbyLeft' && f.participantId === g3.participantId);

    // Turning the lobby off lets the waiting guests in.
    const { client: g4 } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock' && f.participant.participantId === g4.participantId);
    await host.request({ t: 'lock', lobby: false });
    await g4.waitFor((f) => f.t === 'joined');
    assert.equal((await RoomClient.join(s.url, room)).answer.t, 'joined');
    await Promise.all([host.close(), g1.close(), cohost.close(), g4.close()]);
  });

  it('[ROOM-7] the lobby holds at most MAX_ROOM_LOBBY guests (ROOM_FULL)', async () => {
    const room = await createRoom(s.url, true);
    const guests: RoomClient[] = [];
    for (let i = 0; i < MAX_ROOM_LOBBY; i++) guests.push((await RoomClient.join(s.url, room)).client);
    const full = await RoomClient.join(s.url, room);
    assert.deepEqual([full.answer.t, full.answer.code], ['err', 'ROOM_FULL']);
    assert.equal((await RoomClient.join(s.url, room, { hostToken: room.hostToken })).answer.t, 'joined', 'the host is not held by the lobby limit');
    await Promise.all([...guests, full.client].map((g) => g.close()));
  });

  it('[ROOM-7] remove: removed + closed; the others hear participantLeft removed', async () => {
    const room = await createRoom(s.url);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: a } = await RoomClient.join(s.url, room);
    const { client: b } = await RoomClient.join(s.url, room);
    assert.equal((await a.request({ t: 'remove', participantId: b.participantId })).code, 'NOT_HOST');
    assert.equal((await host.request({ t: 'remove', participantId: b64(16) })).code, 'UNKNOWN_PARTICIPANT');
    assert.equal((await host.request({ t: 'remove', participantId: b.participantId })).t, 'ok');
    await b.waitFor((f) => f.t === 'removed');
    assert.equal((await b.closed).code, 1000);
    for (const c of [host, a]) {
      assert.deepEqual(await c.waitFor((f) => f.t === 'participantLeft'), { t: 'participantLeft', participantId: b.participantId, reason: 'removed' });
    }
    // A removed participant cannot come back with its resume token as itself.
    const back = await RoomClient.join(s.url, room, { resumeToken: b.resumeToken });
    assert.notEqual(back.client.participantId, b.participantId);
    // askMute reaches only its target.
    assert.equal((await host.request({ t: 'askMute', participantId: a.participantId })).t, 'ok');
    assert.deepEqual(await a.waitFor((f) => f.t === 'muteRequested'), { t: 'muteRequested', by: host.participantId });
    assert.equal(back.client.of('muteRequested').length, 0);
    await Promise.all([host.close(), a.close(), back.client.close()]);
  });

  it('[ROOM-8] the host leaving passes the role to the longest-present participant, who learns the lobby', async () => {
    const room = await createRoom(s.url);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: first } = await RoomClient.join(s.url, room);
    const { client: second } = await RoomClient.join(s.url, room);
    await host.request({ t: 'lock', lobby: true });
    const { client: waiting } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock');
    host.send({ t: 'leave' });
    await host.closed;
    for (const c of [first, second]) {
      await c.waitFor((f) => f.t === 'participantLeft' && f.participantId === host.participantId && f.reason === 'left');
      assert.deepEqual(await c.waitFor((f) => f.t === 'hostChanged'), { t: 'hostChanged', participantId: first.participantId });
    }
    const knock = await first.waitFor((f) => f.t === 'knock');
    assert.equal(knock.participant.participantId, waiting.participantId);
    // The new host can act as one; makeHost adds a host without demoting anyone.
    assert.equal((await first.request({ t: 'makeHost', participantId: second.participantId })).t, 'ok');
    assert.deepEqual(await second.waitFor((f) => f.t === 'hostChanged' && f.participantId === second.participantId), { t: 'hostChanged', participantId: second.participantId });
    assert.equal((await second.request({ t: 'admit', participantId: waiting.participantId })).t, 'ok');
    await waiting.waitFor((f) => f.t === 'joined');
    await Promise.all([first.close(), second.close(), waiting.close()]);
  });

  it('[ROOM-10] a dropped participant resumes within the grace period as itself; others see nothing; relays wait for it', async () => {
    const room = await createRoom(s.url, true);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: guest } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock');
    await host.request({ t: 'admit', participantId: guest.participantId });
    await guest.waitFor((f) => f.t === 'joined');
    const joined = guest.frames.find((f) => f.t === 'joined');
    guest.ws.terminate();
    await guest.closed;
    await sleep(50);
    // A key rotation relayed while it is away is delivered when it is back.
    const data = b64(48);
    assert.equal((await host.request({ t: 'relay', to: guest.participantId, data })).t, 'ok');
    const back = await RoomClient.open(s.url);
    const answer = await back.sendJoin(room, { resumeToken: joined.resumeToken });
    assert.equal(answer.t, 'joined', 'skips the lobby');
    assert.equal(answer.participantId, guest.participantId);
    assert.equal(answer.role, 'guest');
    assert.notEqual(answer.resumeToken, joined.resumeToken, 'a fresh resume token each time');
    assert.deepEqual(await back.waitFor((f) => f.t === 'relay'), { t: 'relay', from: host.participantId, data });
    await sleep(600);
    assert.equal(host.of('participantLeft').length, 0, 'the host saw nothing of the drop');
    assert.equal(host.of('participantJoined').length, 1, 'nor of the return (only the admission)');

    // The host drops too and does not come back: after the grace period everyone hears it and the role moves on.
    host.ws.terminate();
    const left = await back.waitFor((f) => f.t === 'participantLeft', 3000);
    assert.deepEqual(left, { t: 'participantLeft', participantId: host.participantId, reason: 'disconnected' });
    assert.deepEqual(await back.waitFor((f) => f.t === 'hostChanged'), { t: 'hostChanged', participantId: guest.participantId });
    // The old token was replaced; too late anyway for the host's.
    const stale = await RoomClient.join(s.url, room, { resumeToken: joined.resumeToken });
    assert.equal(stale.answer.t, 'lobby', 'an unknown resume token is an ordinary join');
    await Promise.all([back.close(), stale.client.close()]);
  });

  it('[ROOM-9] relay goes to one participant only (host → lobby guest too); chat to everyone with the server time', async () => {
    const room = await createRoom(s.url);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: a } = await RoomClient.join(s.url, room);
    const { client: b } = await RoomClient.join(s.url, room);
    const data = b64(64);
    assert.equal((await a.request({ t: 'relay', to: b.participantId, data })).t, 'ok');
    assert.deepEqual(await b.waitFor((f) => f.t === 'relay'), { t: 'relay', from: a.participantId, data });
    assert.equal((await a.request({ t: 'relay', to: b64(16) , data })).code, 'UNKNOWN_PARTICIPANT');
    assert.equal((await a.request({ t: 'relay', to: a.participantId, data })).code, 'UNKNOWN_PARTICIPANT');

    await host.request({ t: 'lock', lobby: true });
    const { client: waiting } = await RoomClient.join(s.url, room);
    await host.waitFor((f) => f.t === 'knock');
    assert.equal((await a.request({ t: 'relay', to: waiting.participantId, data })).code, 'UNKNOWN_PARTICIPANT', 'only hosts reach the lobby');
    assert.equal((await host.request({ t: 'relay', to: waiting.participantId, data })).t, 'ok');
    assert.deepEqual(await waiting.waitFor((f) => f.t === 'relay'), { t: 'relay', from: host.participantId, data });

    const chat = b64(100);
    const before = Date.now();
    assert.equal((await b.request({ t: 'chat', data: chat })).t, 'ok');
    for (const c of [host, a, b]) {
      const m = await c.waitFor((f) => f.t === 'chat');
      assert.equal(m.from, b.participantId);
      assert.equal(m.data, chat);
      assert.ok(m.ts >= before && m.ts <= Date.now());
    }
    assert.equal(waiting.of('chat').length, 0, 'the lobby does not hear the room');
    assert.equal(host.of('relay').length + a.of('relay').length, 0);
    await Promise.all([host, a, b, waiting].map((c) => c.close()));
  });

  it('[ROOM-12] /metrics counts live rooms, room sockets and members', async () => {
    const room = await createRoom(s.url);
    const { client: host } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: guest } = await RoomClient.join(s.url, room);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.ok(value('charla_rooms_live') >= 1);
    assert.ok(value('charla_room_sockets') >= 2);
    assert.ok(value('charla_room_members') >= 2);
    await Promise.all([host.close(), guest.close()]);
  });

  it('[ROOM-12] nothing secret reaches the logs or the database: keys, tokens, names, chat, relays', async () => {
    const room = await createRoom(s.url);
    const { client: host, answer } = await RoomClient.join(s.url, room, { hostToken: room.hostToken });
    const { client: guest } = await RoomClient.join(s.url, room);
    const chat = b64(30);
    const relay = b64(30);
    await guest.request({ t: 'chat', data: chat });
    await guest.request({ t: 'relay', to: host.participantId, data: relay });
    await host.request({ t: 'lock', locked: true });
    await Promise.all([host.close(), guest.close()]);
    await sleep(100);
    const logs = s.logs.join('');
    const db = readFileSync(join(s.dataDir, 'charla.sqlite')).toString('latin1') + readFileSync(join(s.dataDir, 'charla.sqlite-wal')).toString('latin1');
    for (const secret of [room.accessKey, room.hostToken, answer.resumeToken, host.name, guest.name, host.pub, guest.pubMac, chat, relay]) {
      assert.ok(!logs.includes(secret), 'a secret in the logs');
      assert.ok(!db.includes(secret), 'a secret in the database');
    }
    assert.ok(logs.includes(room.roomId), 'room events are logged (by id)');
  });
});
