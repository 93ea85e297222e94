import { Content, type EventFrame } from '@charla/protocol';
import { joinFromWelcome, processMessage } from '@charla/crypto';
import { callSecretOf } from './room/call.ts';
import { directConversationId, type ContentEffect, type Conversation, type Conversations } from './conversations.ts';
import { loadGroup, memberUsers, putGroup, stateOf, withState, type GroupContext, type GroupRecord } from './groups.ts';
import type { StoredKeyPackage } from './key-packages.ts';
import { NS } from './profile.ts';
import type { StoreWrite } from './store.ts';

export interface IncomingResult {
  effects: ContentEffect[];
  membership?: { conversationId: string; groupId: string; added: string[]; removed: string[]; removedSelf: boolean };
  /** A member account's device list changed: the group should be reconciled. */
  reconcile?: { groupId: string; userId: string };
  /** A member left ([CONTENT-10]): its devices should be removed from the group. */
  removeUser?: { groupId: string; userId: string };
  warning?: string;
}

/**
 * Applies one event of a group's log to local state. Runs inside the client's serial queue; every
 * change it makes (MLS state, history, cursor) is written in one atomic store write before the
 * event is acked, so a crash at any point leads to a redelivery that is then skipped or redone.
 */
export async function applyEvent(
  ctx: GroupContext,
  conversations: Conversations,
  frame: EventFrame,
  body: Uint8Array | null,
): Promise<IncomingResult> {
  const record = await loadGroup(ctx.store, frame.groupId);
  const result: IncomingResult = { effects: [] };
  if (record && frame.seq !== 0 && frame.seq <= record.processedSeq) return result;
  const own = frame.sender?.deviceId === ctx.profile.deviceId;
  const writes: StoreWrite[] = [];
  const advance = (r: GroupRecord): GroupRecord => (frame.seq > r.processedSeq ? { ...r, processedSeq: frame.seq } : r);

  try {
    switch (frame.kind) {
      case 'welcome': {
        if (record || !body) break;
        // The crypto layer looks key packages up synchronously, so load this device's few dozen first.
        const keyPackages = new Map((await ctx.store.list<StoredKeyPackage>(NS.keyPackages)).map((r) => [r.key, r.value]));
        const joined = await joinFromWelcome(body, (ref) => keyPackages.get(ref)?.privateBytes, ctx.directory.verifyIdentity);
        const kp = keyPackages.get(joined.keyPackageRef);
        if (kp && !kp.lastResort) writes.push({ ns: NS.keyPackages, key: joined.keyPackageRef, value: undefined });
        const fresh: GroupRecord = { groupId: frame.groupId, state: new Uint8Array(), epoch: 0, processedSeq: frame.seq, conversationId: undefined, active: true };
        writes.push(putGroup(withState(fresh, joined.state)));
        break;
      }
      case 'commit': {
        if (!record || !body) break;
        if (own) {
          // Our own commit: apply the state we prepared if the confirmation never reached us.
          const won = record.pendingCommit?.msgId === frame.msgId ? record.pendingCommit : undefined;
          const next = won ? withState({ ...record, pendingCommit: undefined }, stateOf({ ...record, state: won.newState })) : record;
          writes.push(putGroup(advance(next)));
          break;
        }
        const processed = await processMessage(stateOf(record), body, ctx.directory.verifyIdentity);
        if (processed.kind !== 'commit') break;
        const next = advance({ ...withState(record, processed.newState), pendingCommit: undefined, active: !processed.removedSelf });
        writes.push(putGroup(next));
        const conversationId = next.conversationId ?? next.groupId;
        result.membership = {
          conversationId,
          groupId: next.groupId,
          added: processed.added.map((i) => i.user),
          removed: processed.removed.map((i) => i.user),
          removedSelf: processed.removedSelf,
        };
        const conv = await conversations.get(conversationId);
        if (conv) {
          const members = processed.removedSelf ? conv.members : memberUsers(processed.newState);
          writes.push(conversations.putConversation({ ...conv, members, left: processed.removedSelf && conv.groupIds.length <= 1 }));
        }
        break;
      }
      case 'app': {
        if (!record || !body || own) break;
        const processed = await processMessage(stateOf(record), body, ctx.directory.verifyIdentity);
        let next = advance(withState(record, processed.newState));
        if (processed.kind !== 'application') {
          writes.push(putGroup(next));
          break;
        }
        const parsed = Content.safeParse(JSON.parse(new TextDecoder().decode(processed.plaintext)) as unknown);
        if (!parsed.success) {
          writes.push(putGroup(next));
          result.warning = 'ignored content that does not match the content schema';
          break;
        }
        const content = parsed.data;
        if (content.id !== frame.msgId) {
          // [CONTENT-2] Content must be the message the envelope says it is (no replays under another id).
          writes.push(putGroup(next));
          result.warning = 'ignored content whose id differs from its envelope';
          break;
        }
        const sender = processed.sender;
        let conv: Conversation;
        if (content.kind === 'conversation') {
          conv = await describeConversation(ctx, conversations, next, content, sender.user);
          next = { ...next, conversationId: conv.id };
          writes.push(conversations.putConversation(conv));
          result.effects.push({ type: 'conversation', conversation: conv });
        } else if (content.kind === 'leave') {
          if (sender.user !== ctx.profile.userId) result.removeUser = { groupId: next.groupId, userId: sender.user };
        } else {
          conv = (await conversations.get(next.conversationId ?? next.groupId)) ?? placeholderConversation(next);
          if (!next.conversationId) {
            next = { ...next, conversationId: conv.id };
            writes.push(conversations.putConversation(conv));
          }
          const applied = await conversations.apply(conv, content, {
            userId: sender.user,
            deviceId: sender.device,
            groupId: next.groupId,
            outgoing: sender.user === ctx.profile.userId,
            now: Date.now(),
            // [CONTENT-11] The call's secret exists only in this epoch's state: derive it now.
            ...(content.kind === 'call' ? { call: await callSecretOf(processed.newState, content) } : {}),
          });
          writes.push(...applied.writes);
          result.effects.push(...applied.effects);
        }
        writes.push(putGroup(next));
        break;
      }
      case 'devices': {
        if (!record) break;
        writes.push(putGroup(advance(record)));
        if (record.active && frame.userId) result.reconcile = { groupId: record.groupId, userId: frame.userId };
        break;
      }
      case 'redact': {
        if (!record) break;
        writes.push(putGroup(advance(record)));
        break;
      }
    }
  } catch (error) {
    // One undecryptable or invalid event must not wedge the stream: skip it, say so, move on.
    if (record) writes.splice(0, writes.length, putGroup(advance(record)));
    result.warning = `skipped a ${frame.kind} event in a group: ${error instanceof Error ? error.name : 'error'}`;
  }
  if (writes.length > 0) await ctx.store.write(writes);
  return result;
}

function placeholderConversation(record: GroupRecord): Conversation {
  const members = memberUsers(stateOf(record));
  return {
    id: record.groupId,
    type: 'group',
    name: members.map((m) => m.slice(1).split(':')[0]).join(', '),
    groupIds: [record.groupId],
    members,
    admins: [],
    timerSeconds: 0,
    lastMessageAt: 0,
    unread: 0,
    left: false,
  };
}

async function describeConversation(
  ctx: GroupContext,
  conversations: Conversations,
  record: GroupRecord,
  content: Extract<Content, { kind: 'conversation' }>,
  sender: string,
): Promise<Conversation> {
  const members = memberUsers(stateOf(record));
  if (content.type === 'direct') {
    const peer = (content.members ?? members).find((u) => u !== ctx.profile.userId) ?? sender;
    const id = directConversationId(peer);
    const existing = await conversations.get(id);
    const groupIds = [...new Set([...(existing?.groupIds ?? []), record.groupId])].sort();
    return {
      id,
      type: 'direct',
      name: peer.slice(1).split(':')[0] ?? peer,
      peer,
      groupIds,
      members,
      admins: [],
      timerSeconds: existing?.timerSeconds ?? 0,
      lastMessageAt: existing?.lastMessageAt ?? 0,
      unread: existing?.unread ?? 0,
      left: false,
    };
  }
  const existing = await conversations.get(record.groupId);
  // [CONTENT-9] Only an admin may rename the group or change its admins.
  const currentAdmins = existing?.admins.length ? existing.admins : undefined;
  const mayChange = !currentAdmins || currentAdmins.includes(sender);
  const admins = mayChange ? (content.admins ?? currentAdmins ?? [sender]) : currentAdmins;
  return {
    id: record.groupId,
    type: 'group',
    name: (mayChange ? content.name : undefined) ?? existing?.name ?? placeholderConversation(record).name,
    groupIds: [record.groupId],
    members,
    admins,
    timerSeconds: existing?.timerSeconds ?? 0,
    lastMessageAt: existing?.lastMessageAt ?? 0,
    unread: existing?.unread ?? 0,
    left: false,
  };
}
