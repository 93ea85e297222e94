import type { AttachmentRef, Content } from '@charla/protocol';
import { NS } from './profile.ts';
import type { LocalStore, StoreWrite } from './store.ts';

export interface Conversation {
  /** `dm:<peer user id>` for a 1:1 chat, the group id for a group. */
  id: string;
  type: 'direct' | 'group';
  name: string;
  /** The other person of a 1:1 chat. */
  peer?: string;
  /** MLS groups carrying this conversation: normally one; two when both people started the chat at once. */
  groupIds: string[];
  members: string[];
  /** Group admins ([CONTENT-9]); empty for 1:1 chats. */
  admins: string[];
  timerSeconds: number;
  lastMessageAt: number;
  /** Timestamp of the newest message from others that a read receipt was sent for. */
  readUpTo?: number;
  unread: number;
  left: boolean;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  groupId: string;
  sender: string;
  senderDevice: string;
  outgoing: boolean;
  ts: number;
  text: string;
  inReplyTo?: string;
  attachment?: AttachmentRef;
  reactions: Record<string, string[]>;
  edited: boolean;
  deleted: boolean;
  expiresAt?: number;
  status: 'pending' | 'sent' | 'delivered' | 'read';
  /** [CONTENT-11] A call started in this chat; see CharlaClient.callLinkFor. */
  call?: CallInfo;
}

export interface CallInfo {
  roomId: string;
  server: string;
  epoch: number;
  /** The room's link secret (base64url), derived from the MLS exporter when the message arrived; absent when that failed. */
  secret?: string;
  /** The caller's own device keeps the host token. */
  hostToken?: string;
}

export function directConversationId(peer: string): string {
  return `dm:${peer}`;
}

function messageKey(conversationId: string, ts: number, id: string): string {
  return `${conversationId}|${String(ts).padStart(15, '0')}|${id}`;
}

/** What applying one piece of content changed, for the client to emit as typed events. */
export type ContentEffect =
  | { type: 'message'; message: MessageRecord }
  | { type: 'edit'; message: MessageRecord }
  | { type: 'delete'; conversationId: string; messageId: string }
  | { type: 'reaction'; message: MessageRecord; emoji: string; from: string; removed: boolean }
  | { type: 'receipt'; conversationId: string; from: string; status: 'delivered' | 'read'; messageIds: string[] }
  | { type: 'typing'; conversationId: string; from: string; active: boolean }
  | { type: 'timer'; conversationId: string; seconds: number; from: string }
  | { type: 'conversation'; conversation: Conversation };

/**
 * The local history: conversations and their messages, and how each kind of content changes them.
 * Methods return store writes so that the caller can commit them atomically with the MLS state.
 */
type MessageSource = { userId: string; deviceId: string; groupId: string; outgoing: boolean; pending?: boolean };

/** The fields every new message starts with. */
function newMessage(id: string, ts: number, text: string, conversationId: string, from: MessageSource): MessageRecord {
  return {
    id,
    conversationId,
    groupId: from.groupId,
    sender: from.userId,
    senderDevice: from.deviceId,
    outgoing: from.outgoing,
    ts,
    text,
    reactions: {},
    edited: false,
    deleted: false,
    status: from.pending ? 'pending' : 'sent',
  };
}

export class Conversations {
  readonly #store: LocalStore;
  constructor(store: LocalStore) {
    this.#store = store;
  }

  get(id: string): Promise<Conversation | undefined> {
    return this.#store.get<Conversation>(NS.conversations, id);
  }

  async list(): Promise<Conversation[]> {
    const rows = await this.#store.list<Conversation>(NS.conversations);
    return rows.map((r) => r.value).sort((a, b) => b.lastMessageAt - a.lastMessageAt);
  }

  async messages(conversationId: string, now = Date.now()): Promise<MessageRecord[]> {
    const rows = await this.#store.list<MessageRecord>(NS.messages, `${conversationId}|`);
    return rows.map((r) => r.value).filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  }

  /** Finds a message by id or by a unique prefix of its id. */
  async findMessage(idOrPrefix: string): Promise<MessageRecord | undefined> {
    const exact = await this.#store.get<string>(NS.messageIndex, idOrPrefix);
    const keys = exact ? [exact] : (await this.#store.list<string>(NS.messageIndex, idOrPrefix)).map((r) => r.value);
    if (keys.length !== 1) return undefined;
    return this.#store.get<MessageRecord>(NS.messages, keys[0]!);
  }

  putConversation(conversation: Conversation): StoreWrite {
    return { ns: NS.conversations, key: conversation.id, value: conversation };
  }

  putMessage(message: MessageRecord): StoreWrite[] {
    const key = messageKey(message.conversationId, message.ts, message.id);
    return [
      { ns: NS.messages, key, value: message },
      { ns: NS.messageIndex, key: message.id, value: key },
    ];
  }

  deleteMessage(message: MessageRecord): StoreWrite[] {
    return [
      { ns: NS.messages, key: messageKey(message.conversationId, message.ts, message.id), value: undefined },
      { ns: NS.messageIndex, key: message.id, value: undefined },
    ];
  }

  /** Removes every message whose disappearing timer ran out; returns how many. */
  async sweepExpired(now = Date.now()): Promise<number> {
    const rows = await this.#store.list<MessageRecord>(NS.messages);
    const expired = rows.map((r) => r.value).filter((m) => m.expiresAt !== undefined && m.expiresAt <= now);
    if (expired.length > 0) await this.#store.write(expired.flatMap((m) => this.deleteMessage(m)));
    return expired.length;
  }

  /** Stores a new message, bumping its conversation's time and unread count. */
  #addMessage(conv: Conversation, message: MessageRecord, outgoing: boolean, writes: StoreWrite[], effects: ContentEffect[]): void {
    writes.push(...this.putMessage(message));
    const updated = { ...conv, lastMessageAt: Math.max(conv.lastMessageAt, message.ts), unread: conv.unread + (outgoing ? 0 : 1) };
    writes.push(this.putConversation(updated));
    Object.assign(conv, updated);
    effects.push({ type: 'message', message });
  }

  /**
   * Applies decrypted content from `sender` (a user id) to conversation `conv`. Returns the writes
   * to commit and the effects to announce. Content that refers to unknown messages is ignored.
   */
  async apply(
    conv: Conversation,
    content: Content,
    from: { userId: string; deviceId: string; groupId: string; outgoing: boolean; pending?: boolean; now: number; call?: { secret?: string; hostToken?: string } },
  ): Promise<{ writes: StoreWrite[]; effects: ContentEffect[] }> {
    const writes: StoreWrite[] = [];
    const effects: ContentEffect[] = [];
    const target = async (id: string): Promise<MessageRecord | undefined> => {
      const m = await this.findMessage(id);
      return m && m.conversationId === conv.id ? m : undefined;
    };
    switch (content.kind) {
      case 'text': {
        if (content.expires !== undefined && content.expires <= from.now) break;
        const message: MessageRecord = {
          ...newMessage(content.id, content.ts, content.text, conv.id, from),
          ...(content.inReplyTo ? { inReplyTo: content.inReplyTo } : {}),
          ...(content.attachment ? { attachment: content.attachment } : {}),
          ...(content.expires !== undefined ? { expiresAt: content.expires } : {}),
        };
        if (await this.findMessage(content.id)) break; // a redelivery
        this.#addMessage(conv, message, from.outgoing, writes, effects);
        break;
      }
      case 'call': {
        if (await this.findMessage(content.id)) break; // a redelivery
        const message: MessageRecord = {
          ...newMessage(content.id, content.ts, '', conv.id, from),
          call: { roomId: content.roomId, server: content.server, epoch: content.epoch, ...from.call },
        };
        this.#addMessage(conv, message, from.outgoing, writes, effects);
        break;
      }
      case 'edit': {
        const m = await target(content.replaces);
        if (!m || m.sender !== from.userId || m.deleted) break;
        const edited = { ...m, text: content.text, edited: true };
        writes.push(...this.putMessage(edited));
        effects.push({ type: 'edit', message: edited });
        break;
      }
      case 'delete': {
        const m = await target(content.replaces);
        if (!m || m.sender !== from.userId) break;
        const gone: MessageRecord = { ...m, text: '', deleted: true, reactions: {} };
        delete gone.attachment;
        writes.push(...this.putMessage(gone));
        effects.push({ type: 'delete', conversationId: conv.id, messageId: m.id });
        break;
      }
      case 'reaction': {
        const m = await target(content.target);
        if (!m || m.deleted) break;
        const reactions = { ...m.reactions };
        const users = new Set(reactions[content.emoji] ?? []);
        if (content.remove) users.delete(from.userId);
        else users.add(from.userId);
        if (users.size > 0) reactions[content.emoji] = [...users];
        else delete reactions[content.emoji];
        const updated = { ...m, reactions };
        writes.push(...this.putMessage(updated));
        effects.push({ type: 'reaction', message: updated, emoji: content.emoji, from: from.userId, removed: content.remove === true });
        break;
      }
      case 'receipt': {
        const rank = { pending: 0, sent: 1, delivered: 2, read: 3 } as const;
        for (const id of content.targets) {
          const m = await target(id);
          if (!m || !m.outgoing || rank[m.status] >= rank[content.status]) continue;
          writes.push(...this.putMessage({ ...m, status: content.status }));
        }
        effects.push({ type: 'receipt', conversationId: conv.id, from: from.userId, status: content.status, messageIds: content.targets });
        break;
      }
      case 'typing':
        effects.push({ type: 'typing', conversationId: conv.id, from: from.userId, active: content.active });
        break;
      case 'timer': {
        const updated = { ...conv, timerSeconds: content.seconds };
        writes.push(this.putConversation(updated));
        Object.assign(conv, updated);
        effects.push({ type: 'timer', conversationId: conv.id, seconds: content.seconds, from: from.userId });
        break;
      }
      case 'conversation':
      case 'leave':
        // Handled by the group engine: metadata may re-key the conversation; leaving changes membership.
        break;
    }
    return { writes, effects };
  }
}
