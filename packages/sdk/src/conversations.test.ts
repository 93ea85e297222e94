import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conversations, type Conversation } from './conversations.ts';
import { MemoryStore } from './store.ts';

const ana = '@ana:example.org';
const bruno = '@bruno:example.org';

function conv(): Conversation {
  return { id: `dm:${bruno}`, type: 'direct', name: 'bruno', peer: bruno, groupIds: ['g'], members: [ana, bruno], admins: [], timerSeconds: 0, lastMessageAt: 0, unread: 0, left: false };
}

test('content kinds change the history as a messenger user expects', async () => {
  const store = new MemoryStore();
  const convs = new Conversations(store);
  const c = conv();
  await store.write([convs.putConversation(c)]);
  const fromBruno = { userId: bruno, deviceId: 'd'.repeat(22), groupId: 'g', outgoing: false, now: 1000 };
  const apply = async (content: Parameters<Conversations['apply']>[1], from = fromBruno): Promise<void> => {
    const r = await convs.apply(c, content, from);
    await store.write(r.writes);
  };
  await apply({ v: 1, id: 'message-1', ts: 10, kind: 'text', text: 'hola' });
  await apply({ v: 1, id: 'message-1', ts: 10, kind: 'text', text: 'hola' }); // redelivery
  await apply({ v: 1, id: 'message-2', ts: 20, kind: 'edit', replaces: 'message-1', text: 'hola!' });
  await apply({ v: 1, id: 'message-3', ts: 30, kind: 'reaction', target: 'message-1', emoji: '❤️' });
  await apply({ v: 1, id: 'message-4', ts: 40, kind: 'edit', replaces: 'message-1', text: 'forged' }, { ...fromBruno, userId: ana });
  let [m] = await convs.messages(c.id);
  assert.equal(m?.text, 'hola!');
  assert.equal(m?.edited, true);
  assert.deepEqual(m?.reactions, { '❤️': [bruno] });
  assert.equal((await convs.messages(c.id)).length, 1);
  assert.equal((await convs.get(c.id))?.unread, 1);

  await apply({ v: 1, id: 'message-5', ts: 50, kind: 'delete', replaces: 'message-1' });
  [m] = await convs.messages(c.id);
  assert.equal(m?.deleted, true);
  assert.equal(m?.text, '');

  await apply({ v: 1, id: 'message-6', ts: 60, kind: 'text', text: 'pronto desaparece', expires: 2000 });
  assert.equal((await convs.messages(c.id, 1500)).length, 2);
  assert.equal((await convs.messages(c.id, 2500)).length, 1);
  assert.equal(await convs.sweepExpired(2500), 1);
  assert.equal(await convs.findMessage('message-6'), undefined);
  assert.equal((await convs.findMessage('message-5'))?.id ?? (await convs.findMessage('message-1'))?.id, 'message-1');
});
