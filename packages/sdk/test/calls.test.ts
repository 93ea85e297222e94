import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toBase64Url, RoomServerFrame } from '@charla/protocol';
import { callRoomSecret, exportSecret, newRoomJoinKeys, roomAccessKey, roomPubMac, sealRoomName } from '@charla/crypto';
import { loadGroup, stateOf } from '../src/groups.ts';
import { parseRoomLink } from '../src/index.ts';
import { bootServer, newUser, waitFor, type TestServer, type TestUser } from './harness.ts';

/** Joins a room over a raw WebSocket with the given link secret; resolves with the server's answer. */
async function tryJoin(serverUrl: string, roomId: string, secret: Uint8Array): Promise<RoomServerFrame> {
  const ws = new WebSocket(serverUrl.replace(/^http/, 'ws') + '/v1/rooms/ws');
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const keys = newRoomJoinKeys();
  const answer = new Promise<RoomServerFrame>((resolve) => {
    ws.onmessage = (event) => resolve(RoomServerFrame.parse(JSON.parse(String(event.data))));
  });
  ws.send(
    JSON.stringify({
      t: 'join',
      id: 1,
      roomId,
      accessKey: toBase64Url(roomAccessKey(secret)),
      name: toBase64Url(await sealRoomName(secret, 'tester')),
      pub: toBase64Url(keys.publicKey),
      pubMac: toBase64Url(roomPubMac(secret, keys.publicKey)),
    }),
  );
  try {
    return await answer;
  } finally {
    ws.close();
  }
}

describe('[CONTENT-11] calls started from a chat', () => {
  let server: TestServer;
  let ana: TestUser;
  let bruno: TestUser;
  let carla: TestUser;
  before(async () => {
    // Signalling only: these tests carry no media, so no SFU (and no ICE gathering) runs.
    server = await bootServer({ CHARLA_SFU_LOCAL: 'false' });
    ana = await newUser(server, 'ana');
    bruno = await newUser(server, 'bruno');
    carla = await newUser(server, 'carla');
  });
  after(async () => {
    await ana?.client.close();
    await bruno?.client.close();
    await carla?.client.close();
    await server?.close();
  });

  test('members derive the same room secret from the MLS exporter; the message never carries it', async () => {
    const group = await ana.client.createGroupChat('familia', ['bruno']);
    const arrived = waitFor(bruno.client, 'message', (m) => m.call !== undefined);
    const started = await ana.client.startCall(group.id);
    const hostLink = parseRoomLink(started.link);
    assert.equal(hostLink.roomId, started.roomId);
    assert.ok(hostLink.hostToken, 'the caller gets a host link');

    const message = await arrived;
    assert.equal(message.call?.roomId, started.roomId);
    assert.equal(message.call?.server, server.url);
    assert.equal(message.call?.hostToken, undefined, 'the host token stays with the caller');
    const link = bruno.client.callLinkFor(message);
    assert.ok(link, 'bruno can open the call');
    const guest = parseRoomLink(link);
    assert.deepEqual(guest.secret, hostLink.secret, 'both derived the same secret');
    assert.equal(guest.hostToken, undefined);

    // The derivation is the MLS exporter, bound to the message id, at the group's epoch then.
    const record = await loadGroup(bruno.store, message.groupId);
    const state = stateOf(record!);
    assert.deepEqual(await callRoomSecret(state, message.id, message.call!.epoch), guest.secret);
    assert.notDeepEqual(await callRoomSecret(state, 'another-call-id', message.call!.epoch), guest.secret, 'each call has its own key');

    // The room accepts that secret.
    const joined = await tryJoin(server.url, started.roomId, guest.secret);
    assert.equal(joined.t, 'joined');
  });

  test('someone outside the group cannot derive the secret and is refused by the room', async () => {
    const group = await ana.client.createGroupChat('solo dos', ['bruno']);
    const started = await ana.client.startCall(group.id);
    const secret = parseRoomLink(started.link).secret;
    // Carla has groups of her own, but their exporter secrets are unrelated to this call's.
    const hers = await carla.client.createGroupChat('otro', ['bruno']);
    const record = await loadGroup(carla.store, hers.groupIds[0]!);
    const guess = await exportSecret(stateOf(record!), 'charla call v1', new TextEncoder().encode(started.messageId), 32);
    assert.notDeepEqual(guess, secret);
    const refused = await tryJoin(server.url, started.roomId, guess);
    assert.equal(refused.t, 'err');
    assert.equal(refused.t === 'err' && refused.code, 'ROOM_KEY_MISMATCH');
    assert.equal((await carla.client.history(group.id)).length, 0, 'and never saw the call message');
  });
});
