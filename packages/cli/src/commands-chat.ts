import { readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CharlaClient, MessageRecord } from '@charla/sdk';
import { formatDuration, parseDuration, UsageError } from './args.ts';
import type { Command } from './context.ts';
import { emit, formatMessage, messageJson, note, progressBar, shortId, username } from './output.ts';

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

const MEDIA_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf', txt: 'text/plain', mp4: 'video/mp4', mp3: 'audio/mpeg' };

async function warnKeyChange(ctx: Parameters<Command['run']>[0], client: CharlaClient, to: string): Promise<void> {
  const conv = await client.resolveConversation(to);
  const people = conv.type === 'direct' && conv.peer ? [conv.peer] : conv.members.filter((m) => m !== client.userId);
  for (const p of people) {
    await client.directory.fetchUser(p).catch(() => undefined);
    if (await client.keyChangedSinceLastWarning(p)) {
      note(ctx.io, `⚠ ${username(p)}'s safety number changed since you last talked: their account key is different. Check 'charla safety-number ${username(p)}' with them before sharing anything sensitive.`);
    }
  }
}

/** `group add` and `group remove`: the same shape, a different SDK call. */
function membershipCommand(
  verb: 'add' | 'remove',
  summary: string,
  done: string,
  preposition: string,
  change: (client: CharlaClient, conversationId: string, users: string[]) => Promise<void>,
): Command {
  return {
    name: `group ${verb}`,
    usage: `charla group ${verb} GROUP USER [USER…]`,
    summary,
    async run(ctx, args) {
      const group = need(args[0], 'GROUP');
      const users = args.slice(1);
      if (users.length === 0) throw new UsageError('missing USER');
      await ctx.withClient(async (client) => {
        const conv = await client.resolveConversation(group);
        await change(client, conv.id, users);
        emit(ctx.io, `${done} ${users.join(', ')} ${preposition} ${conv.name}`, { type: `group-${verb}`, id: conv.id, users });
      });
    },
  };
}

export const chatCommands: Command[] = [
  {
    name: 'send',
    usage: 'charla send TO [TEXT] [--file PATH]',
    summary: 'send to a person (starting the chat if needed) or a group, end-to-end encrypted',
    options: { file: { type: 'string', description: 'attach a file (encrypted before upload)' } },
    async run(ctx, args) {
      const to = need(args[0], 'TO (a username or a group name)');
      const file = ctx.values['file'];
      const text = args.slice(1).join(' ');
      if (!text && typeof file !== 'string') throw new UsageError('nothing to send: give TEXT or --file');
      await ctx.withClient(async (client) => {
        const conv = await client.resolveConversation(to);
        await warnKeyChange(ctx, client, conv.id);
        let message: MessageRecord;
        if (typeof file === 'string') {
          const bytes = new Uint8Array(await readFile(resolve(file)));
          const name = basename(file);
          const mediaType = MEDIA_TYPES[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
          message = await client.sendFile(conv.id, { bytes, name, mediaType }, text, progressBar(ctx.io, `uploading ${name}`));
        } else {
          message = await client.sendText(conv.id, text);
        }
        await client.settle();
        const failed = (await client.conversations.findMessage(message.id))?.status === 'pending';
        if (failed) throw new UsageError('the message could not be sent yet; it stays in the outbox and goes out on the next command');
        emit(ctx.io, `sent to ${conv.name}  #${shortId(message.id)}`, { type: 'sent', conversation: conv.id, id: message.id });
      });
    },
  },
  {
    name: 'listen',
    usage: 'charla listen',
    summary: 'print messages as they arrive (Ctrl-C to stop)',
    async run(ctx) {
      await ctx.withClient(
        async (client) => {
          const names = new Map((await client.conversations.list()).map((c) => [c.id, c.name]));
          client.on('conversation', (c) => names.set(c.id, c.name));
          client.on('message', (m) => {
            if (m.outgoing && m.senderDevice === client.profile.deviceId) return;
            emit(ctx.io, `${names.get(m.conversationId) ?? m.conversationId} ${formatMessage(m)}`, { ...messageJson(m), conversationName: names.get(m.conversationId) });
          });
          client.on('edit', (m) => emit(ctx.io, `${names.get(m.conversationId) ?? ''} edited: ${formatMessage(m)}`, { type: 'edit', ...m }));
          client.on('delete', (d) => emit(ctx.io, `${names.get(d.conversationId) ?? ''} message #${shortId(d.messageId)} was deleted`, { type: 'delete', ...d }));
          client.on('reaction', (r) => emit(ctx.io, `${username(r.from)} reacted ${r.emoji} to #${shortId(r.message.id)}`, { type: 'reaction', messageId: r.message.id, emoji: r.emoji, from: r.from, removed: r.removed }));
          client.on('membership', (m) => emit(ctx.io, `${names.get(m.conversationId) ?? m.conversationId}: ${m.removedSelf ? 'you were removed' : `members changed (+${m.added.map(username).join(',')} -${m.removed.map(username).join(',')})`}`, { type: 'membership', ...m }));
          client.on('connection', (state) => note(ctx.io, `(${state})`));
          emit(ctx.io, `listening as ${client.userId}… (Ctrl-C to stop)`, { type: 'listening', userId: client.userId });
          await new Promise<void>((resolveStop) => {
            process.once('SIGINT', resolveStop);
            process.once('SIGTERM', resolveStop);
          });
        },
        { live: true },
      );
    },
  },
  {
    name: 'history',
    usage: 'charla history TO',
    summary: 'print a chat (a person or a group)',
    async run(ctx, args) {
      const to = need(args[0], 'TO');
      await ctx.withClient(async (client) => {
        const conv = await client.resolveConversation(to);
        const messages = await client.history(conv.id);
        const byId = new Map(messages.map((m) => [m.id, m]));
        if (!ctx.io.json) ctx.io.stdout.write(`— ${conv.name}${conv.timerSeconds ? ` (messages disappear after ${formatDuration(conv.timerSeconds)})` : ''} —\n`);
        for (const m of messages) emit(ctx.io, formatMessage(m, byId), messageJson(m));
        if (messages.length === 0) note(ctx.io, 'no messages yet');
        await client.markRead(conv.id);
      });
    },
  },
  {
    name: 'chats',
    usage: 'charla chats',
    summary: 'list your chats, most recent first',
    async run(ctx) {
      await ctx.withClient(async (client) => {
        for (const c of await client.conversations.list()) {
          if (c.left) continue;
          emit(ctx.io, `${c.type === 'group' ? '👥' : '👤'} ${c.name}${c.unread ? `  (${c.unread} unread)` : ''}`, { ...c, type: 'chat', chatType: c.type });
        }
      });
    },
  },
  {
    name: 'group create',
    usage: 'charla group create NAME --members USER,USER',
    summary: 'create a group',
    options: { members: { type: 'string', description: 'comma-separated usernames' } },
    async run(ctx, args) {
      const name = need(args[0], 'NAME');
      const members = String(ctx.values['members'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      await ctx.withClient(async (client) => {
        const conv = await client.createGroupChat(name, members);
        emit(ctx.io, `created group ${name} with ${members.join(', ') || 'only you'}`, { type: 'group', id: conv.id, name, members: conv.members });
      });
    },
  },
  membershipCommand('add', 'add people to a group', 'added', 'to', (client, id, users) => client.addMembers(id, users)),
  membershipCommand('remove', 'remove people from a group (they cannot read what follows)', 'removed', 'from', (client, id, users) => client.removeMembers(id, users)),
  {
    name: 'group list',
    usage: 'charla group list',
    summary: 'list your groups and their members',
    async run(ctx) {
      await ctx.withClient(async (client) => {
        for (const c of await client.conversations.list()) {
          if (c.type !== 'group' || c.left) continue;
          emit(ctx.io, `${c.name}: ${c.members.map(username).join(', ')}`, { type: 'group', id: c.id, name: c.name, members: c.members });
        }
      });
    },
  },
  {
    name: 'download',
    usage: 'charla download MESSAGE_ID [--out PATH]',
    summary: 'fetch and decrypt a message\'s attachment',
    options: { out: { type: 'string', description: 'where to save (default: the file\'s name in this folder)' } },
    async run(ctx, args) {
      const id = need(args[0], 'MESSAGE_ID');
      await ctx.withClient(async (client) => {
        const file = await client.downloadAttachment(id, progressBar(ctx.io, 'downloading'));
        const out = resolve(typeof ctx.values['out'] === 'string' ? ctx.values['out'] : basename(file.name) || 'attachment');
        await writeFile(out, file.bytes);
        emit(ctx.io, `saved ${out}`, { type: 'downloaded', path: out, size: file.bytes.length, mediaType: file.mediaType });
      });
    },
  },
  {
    name: 'react',
    usage: 'charla react MESSAGE_ID EMOJI',
    summary: 'react to a message',
    options: { remove: { type: 'boolean', description: 'take the reaction back' } },
    async run(ctx, args) {
      const id = need(args[0], 'MESSAGE_ID');
      const emoji = need(args[1], 'EMOJI');
      await ctx.withClient(async (client) => {
        await client.react(id, emoji, ctx.values['remove'] === true);
        emit(ctx.io, `reacted ${emoji}`, { type: 'reacted', id, emoji });
      });
    },
  },
  {
    name: 'reply',
    usage: 'charla reply MESSAGE_ID TEXT',
    summary: 'reply to a message',
    async run(ctx, args) {
      const id = need(args[0], 'MESSAGE_ID');
      const text = need(args.slice(1).join(' '), 'TEXT');
      await ctx.withClient(async (client) => {
        const m = await client.reply(id, text);
        emit(ctx.io, `replied  #${shortId(m.id)}`, { type: 'sent', id: m.id, inReplyTo: id });
      });
    },
  },
  {
    name: 'edit',
    usage: 'charla edit MESSAGE_ID TEXT',
    summary: 'edit one of your messages',
    async run(ctx, args) {
      const id = need(args[0], 'MESSAGE_ID');
      const text = need(args.slice(1).join(' '), 'TEXT');
      await ctx.withClient(async (client) => {
        await client.edit(id, text);
        emit(ctx.io, 'edited', { type: 'edited', id });
      });
    },
  },
  {
    name: 'delete',
    usage: 'charla delete MESSAGE_ID',
    summary: 'delete one of your messages for everyone',
    async run(ctx, args) {
      const id = need(args[0], 'MESSAGE_ID');
      await ctx.withClient(async (client) => {
        await client.deleteForEveryone(id);
        emit(ctx.io, 'deleted for everyone', { type: 'deleted', id });
      });
    },
  },
  {
    name: 'timer',
    usage: 'charla timer TO DURATION',
    summary: 'disappearing messages: 30s, 10m, 1h, 1d, 1w, or off',
    async run(ctx, args) {
      const to = need(args[0], 'TO');
      const seconds = parseDuration(need(args[1], 'DURATION'));
      await ctx.withClient(async (client) => {
        const conv = await client.resolveConversation(to);
        await client.setTimer(conv.id, seconds);
        emit(ctx.io, seconds ? `new messages in ${conv.name} disappear after ${formatDuration(seconds)}` : `disappearing messages are off in ${conv.name}`, { type: 'timer', conversation: conv.id, seconds });
      });
    },
  },
];
