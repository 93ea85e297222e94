import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { directConversationId } from '../src/conversations.ts';
import { CharlaClient, HttpApi, MemoryStore, isApiError, joinDeviceLink, parseLinkCode } from '../src/index.ts';
import { bootServer, eventually, newUser, texts, waitFor, type TestServer, type TestUser } from './harness.ts';

describe('[LINK-*] linking a new device from an existing one', () => {
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

  test('the new device gets recent history without the password, then new messages too', async () => {
    const conv = await ana.client.openDirect('bruno');
    const seen = waitFor(bruno.client, 'message', (m) => m.text === 'dos');
    await ana.client.sendText(conv.id, 'uno antes del enlace');
    await ana.client.sendText(conv.id, 'dos');
    await seen;
    const answered = waitFor(ana.client, 'message', (m) => m.text === 'respuesta de bruno');
    await bruno.client.sendText(directConversationId(ana.client.userId), 'respuesta de bruno');
    await answered;

    const link = await ana.client.linkNewDevice();
    assert.match(link.code, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.match(link.url, /\/link#[0-9A-Z]{24}$/);
    const phoneStore = new MemoryStore();
    // Typed by hand, lower case with dashes: the code still works.
    const [profile, done] = await Promise.all([joinDeviceLink(phoneStore, link.code.toLowerCase(), { serverUrl: server.url, deviceName: 'phone' }), link.completed]);
    assert.equal(profile.userId, ana.client.userId);
    assert.equal(done.deviceId, profile.deviceId);

    const phone = await CharlaClient.open(phoneStore);
    try {
      await phone.connect();
      assert.deepEqual(await texts(phone, conv.id), ['uno antes del enlace', 'dos', 'respuesta de bruno'], 'recent history arrived');
      assert.equal((await phone.history(conv.id)).find((m) => m.text === 'dos')?.outgoing, true);
      // Ana's laptop adds the phone to her chats; then new messages reach it.
      await eventually(async () => {
        await ana.client.settle();
        return (await phone.store.get('groups', conv.groupIds[0]!)) !== undefined;
      }, 'the phone joined the chat');
      const arrives = waitFor(phone, 'message', (m) => m.text === 'después del enlace');
      await bruno.client.sendText(directConversationId(ana.client.userId), 'después del enlace');
      await arrives;
      assert.equal((await texts(phone, conv.id)).filter((t) => t === 'dos').length, 1, 'no duplicates');
      assert.equal((await ana.client.devices()).length, 2);
    } finally {
      await phone.close();
    }
  });

  test('a link code works once, only for its two devices, and a wrong code fails', async () => {
    const link = await ana.client.linkNewDevice();
    const { code } = parseLinkCode(link.url);
    const joined = joinDeviceLink(new MemoryStore(), link.url, { deviceName: 'tablet' });
    await link.completed;
    await joined;
    await assert.rejects(joinDeviceLink(new MemoryStore(), link.url), (e) => isApiError(e, 'LINK_USED'));
    await assert.rejects(joinDeviceLink(new MemoryStore(), `${code.linkId.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}${code.secret}`, { serverUrl: server.url }), (e) => isApiError(e, 'UNKNOWN_LINK'));
    // Bruno is neither side of Ana's link.
    const stranger = new HttpApi(server.url, bruno.client.profile.token);
    await assert.rejects(stranger.call('linkMessages', undefined, { linkId: code.linkId }), (e) => isApiError(e, 'FORBIDDEN'));
  });
});
