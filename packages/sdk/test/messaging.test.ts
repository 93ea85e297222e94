import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { directConversationId } from '../src/conversations.ts';
import { bootServer, eventually, newDevice, newUser, texts, waitFor, type TestServer, type TestUser } from './harness.ts';

describe('two and three clients over a real server', () => {
  let server: TestServer;
  let ana: TestUser;
  let bruno: TestUser;
  let carla: TestUser;

  before(async () => {
    server = await bootServer();
    ana = await newUser(server, 'ana');
    bruno = await newUser(server, 'bruno');
    carla = await newUser(server, 'carla');
  });
  after(async () => {
    for (const u of [ana, bruno, carla]) await u?.client.close();
    await server?.close();
  });

  test('1:1: a message and a reply arrive end to end, in both histories', async () => {
    const conv = await ana.client.openDirect('bruno');
    const got = waitFor(bruno.client, 'message', (m) => m.text === 'hola bruno');
    await ana.client.sendText(conv.id, 'hola bruno');
    const received = await got;
    const brunoConv = directConversationId(ana.client.userId);
    assert.equal(received.conversationId, brunoConv);
    assert.equal(received.sender, ana.client.userId);

    const back = waitFor(ana.client, 'message', (m) => m.text === 'hola ana');
    await bruno.client.reply(received.id, 'hola ana');
    const reply = await back;
    assert.equal(reply.inReplyTo, received.id);
    assert.deepEqual(await texts(ana.client, conv.id), ['hola bruno', 'hola ana']);
    await eventually(async () => (await texts(bruno.client, brunoConv)).length === 2, 'bruno has both');
  });

  test('edits, reactions and deletes for everyone reach the other side', async () => {
    const conv = await ana.client.openDirect('bruno');
    const brunoConv = directConversationId(ana.client.userId);
    const arrived = waitFor(bruno.client, 'message', (m) => m.text === 'typo herr');
    const sent = await ana.client.sendText(conv.id, 'typo herr');
    const m = await arrived;

    const edited = waitFor(bruno.client, 'edit', (e) => e.id === m.id);
    await ana.client.edit(sent.id, 'typo here');
    assert.equal((await edited).text, 'typo here');

    const reacted = waitFor(ana.client, 'reaction', (r) => r.message.id === sent.id);
    await bruno.client.react(m.id, '👍');
    assert.deepEqual((await reacted).message.reactions, { '👍': [bruno.client.userId] });

    const deleted = waitFor(bruno.client, 'delete', (d) => d.messageId === m.id);
    await ana.client.deleteForEveryone(sent.id);
    await deleted;
    const brunoView = (await bruno.client.history(brunoConv)).find((x) => x.id === m.id);
    assert.equal(brunoView?.deleted, true);
    assert.equal(brunoView?.text, '');
    await assert.rejects(bruno.client.edit(m.id, 'not mine'), /only change your own/);
  });

  test('group: members receive; a removed member cannot read what follows', async () => {
    const group = await ana.client.createGroupChat('amigos', ['bruno', 'carla']);
    const bSees = waitFor(bruno.client, 'message', (m) => m.text === 'hola amigos');
    const cSees = waitFor(carla.client, 'message', (m) => m.text === 'hola amigos');
    await ana.client.sendText(group.id, 'hola amigos');
    assert.equal((await bSees).conversationId, group.id);
    assert.equal((await cSees).conversationId, group.id);
    const carlaGroup = await carla.client.conversations.get(group.id);
    assert.equal(carlaGroup?.name, 'amigos');

    const removed = waitFor(carla.client, 'membership', (m) => m.removedSelf);
    await ana.client.removeMembers(group.id, ['carla']);
    await removed;
    const bLater = waitFor(bruno.client, 'message', (m) => m.text === 'sin carla');
    await ana.client.sendText(group.id, 'sin carla');
    await bLater;
    await carla.client.settle();
    assert.deepEqual(await texts(carla.client, group.id), ['hola amigos']);
    assert.deepEqual(
      (await ana.client.conversations.get(group.id))?.members.sort(),
      [ana.client.userId, bruno.client.userId].sort(),
    );
  });

  test('[CONTENT-9][CONTENT-10] admins rename groups, others cannot; a member who leaves is removed', async () => {
    const group = await ana.client.createGroupChat('club', ['bruno', 'carla']);
    await eventually(async () => (await carla.client.conversations.get(group.id))?.name === 'club', 'carla sees the group');
    // Each member applies the group's details on its own time: wait for bruno's too (it raced under load).
    await eventually(async () => (await bruno.client.conversations.get(group.id))?.name === 'club', 'bruno sees the group');
    assert.deepEqual((await bruno.client.conversations.get(group.id))?.admins, [ana.client.userId]);
    await assert.rejects(bruno.client.renameGroup(group.id, 'golpe'), /only admins/);

    const renamed = waitFor(carla.client, 'conversation', (c) => c.id === group.id && c.name === 'club de lectura');
    await ana.client.renameGroup(group.id, 'club de lectura');
    await renamed;

    const gone = waitFor(ana.client, 'membership', (m) => m.conversationId === group.id && m.removed.includes(carla.client.userId));
    await carla.client.leaveGroup(group.id);
    await gone;
    assert.equal((await carla.client.conversations.get(group.id))?.left, true);
    await eventually(async () => !(await bruno.client.conversations.get(group.id))?.members.includes(carla.client.userId), 'bruno sees carla gone');
  });

  test('offline delivery and resume: messages sent while a device is closed arrive once, in order', async () => {
    const conv = await ana.client.openDirect('carla');
    await waitFor(carla.client, 'conversation', (c) => c.id === directConversationId(ana.client.userId)).catch(() => undefined);
    await carla.client.close();
    for (const text of ['uno', 'dos', 'tres']) await ana.client.sendText(conv.id, text);
    const { CharlaClient } = await import('../src/index.ts');
    carla.client = await CharlaClient.open(carla.store);
    await carla.client.connect();
    await carla.client.settle();
    const carlaConv = directConversationId(ana.client.userId);
    assert.deepEqual((await texts(carla.client, carlaConv)).slice(-3), ['uno', 'dos', 'tres']);
    // A second reconnect replays nothing new (acks were persisted on the server).
    await carla.client.close();
    carla.client = await CharlaClient.open(carla.store);
    await carla.client.connect();
    await carla.client.settle();
    assert.equal((await texts(carla.client, carlaConv)).filter((t) => t === 'dos').length, 1);
  });

  test('two devices of one account: the second is added to chats and both see everything', async () => {
    const anaPhone = await newDevice(server, 'ana');
    try {
      // Ana's first device adds the new device to her chats when it hears about it.
      const conv = await ana.client.openDirect('bruno');
      await eventually(async () => (await anaPhone.client.conversations.get(conv.id)) !== undefined, 'the new device joined the 1:1');
      const onPhone = waitFor(anaPhone.client, 'message', (m) => m.text === 'to both of your devices');
      const onLaptop = waitFor(ana.client, 'message', (m) => m.text === 'to both of your devices');
      await bruno.client.sendText(directConversationId(ana.client.userId), 'to both of your devices');
      await Promise.all([onPhone, onLaptop]);

      // What the phone sends shows up on the laptop as ours, and at Bruno's.
      const laptopEcho = waitFor(ana.client, 'message', (m) => m.text === 'from my phone');
      const atBruno = waitFor(bruno.client, 'message', (m) => m.text === 'from my phone');
      await anaPhone.client.sendText(conv.id, 'from my phone');
      assert.equal((await laptopEcho).outgoing, true);
      assert.equal((await atBruno).sender, ana.client.userId);

      // Revoking the phone removes it from the chat; it receives nothing new, and knows why.
      const signedOut = waitFor(anaPhone.client, 'signedOut', (e) => e.reason === 'DEVICE_REVOKED');
      await ana.client.revokeDevice(anaPhone.client.profile.deviceId);
      await signedOut;
      await bruno.client.settle();
      // Listen before sending: the message may arrive before sendText returns.
      const atLaptop = waitFor(ana.client, 'message', (m) => m.text === 'after revocation');
      await bruno.client.sendText(directConversationId(ana.client.userId), 'after revocation');
      await atLaptop;
      assert.ok(!(await texts(anaPhone.client, conv.id)).includes('after revocation'));
    } finally {
      await anaPhone.client.close();
    }
  });

  test('disconnect() drops the socket at once; reconnect() catches up', async () => {
    const conv = await ana.client.openDirect('bruno');
    const offline = waitFor(bruno.client, 'connection', (s) => s === 'offline');
    bruno.client.disconnect();
    await offline;
    await ana.client.sendText(conv.id, 'mientras no estabas');
    const arrives = waitFor(bruno.client, 'message', (m) => m.text === 'mientras no estabas');
    await bruno.client.reconnect();
    await arrives;
  });

  test('attachments are encrypted, uploaded and decrypted by the recipient', async () => {
    const conv = await ana.client.openDirect('bruno');
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const progress: number[] = [];
    const arrived = waitFor(bruno.client, 'message', (m) => m.attachment?.name === 'foto.jpg');
    await ana.client.sendFile(conv.id, { bytes, name: 'foto.jpg', mediaType: 'image/jpeg' }, 'mira esto', (done) => progress.push(done));
    const m = await arrived;
    assert.ok(progress.length > 1, 'upload reported progress');
    const file = await bruno.client.downloadAttachment(m.id);
    assert.deepEqual(file.bytes, bytes);
    assert.equal(file.mediaType, 'image/jpeg');
  });

  test('typing notices and read receipts reach the other side', async () => {
    const conv = await ana.client.openDirect('bruno');
    const typing = waitFor(bruno.client, 'typing', (t) => t.from === ana.client.userId && t.active);
    await ana.client.sendTyping(conv.id, true);
    await typing;
    const arrived = waitFor(bruno.client, 'message', (m) => m.text === 'léelo bien');
    const sent = await ana.client.sendText(conv.id, 'léelo bien');
    await arrived;
    await eventually(async () => (await ana.client.conversations.findMessage(sent.id))?.status === 'delivered', 'delivered (✓✓) before it is read');
    const read = waitFor(ana.client, 'receipt', (r) => r.status === 'read' && r.messageIds.includes(sent.id));
    await bruno.client.markRead(directConversationId(ana.client.userId));
    await read;
    assert.equal((await ana.client.conversations.findMessage(sent.id))?.status, 'read');
    // Reading again sends nothing new: each message is receipted once.
    let more = 0;
    const off = ana.client.on('receipt', (r) => (r.status === 'read' ? more++ : undefined));
    await bruno.client.markRead(directConversationId(ana.client.userId));
    await bruno.client.settle();
    await ana.client.settle();
    off();
    assert.equal(more, 0);
  });

  test('safety numbers agree on both sides', async () => {
    const a = await ana.client.safetyNumber('bruno');
    const b = await bruno.client.safetyNumber('ana');
    assert.equal(a, b);
    assert.match(a, /^(\d{5} ){11}\d{5}$/);
  });

  test('no plaintext at rest: the server\'s database and blob files hold none of what was sent', async () => {
    await ana.client.settle();
    const { readdir, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else files.push(join(dir, e.name));
      }
    };
    await walk(server.dataDir);
    assert.ok(files.some((f) => /sqlite/.test(f)), 'the database was scanned');
    const attachment = Buffer.from(new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff).subarray(1000, 1064));
    const secrets = ['hola bruno', 'hola ana', 'typo herr', 'typo here', 'hola amigos', 'sin carla', 'from my phone', 'to both of your devices', 'after revocation', 'léelo bien', 'mira esto', 'foto.jpg', 'amigos'];
    // Only strings of 6+ bytes: shorter ones turn up by chance in megabytes of ciphertext.
    assert.ok(secrets.every((t) => Buffer.byteLength(t) >= 6));
    for (const file of files) {
      const bytes = await readFile(file);
      for (const text of secrets) assert.equal(bytes.indexOf(Buffer.from(text, 'utf8')), -1, `"${text}" found in ${file}`);
      assert.equal(bytes.indexOf(attachment), -1, `attachment bytes found in ${file}`);
    }
  });
});
