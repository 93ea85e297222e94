import type { CharlaClient, ClientEvents, Conversation, ConnectionState, MessageRecord } from '@charla/sdk';
import { addNotice, loadNotices, type Notice, type NoticeBody } from './notices.ts';

export interface ViewState {
  connection: ConnectionState;
  conversations: Conversation[];
  /** Messages of conversations that were opened, by conversation id. */
  messages: ReadonlyMap<string, MessageRecord[]>;
  /** Events shown between the messages (timer changes, safety number changes, members), by conversation id. */
  notices: ReadonlyMap<string, Notice[]>;
  /** Who is typing, by conversation id. */
  typing: ReadonlyMap<string, string[]>;
  /** The last message of each conversation, for the chat list. */
  previews: ReadonlyMap<string, MessageRecord | undefined>;
  lastError: string | null;
  /** This device was removed from the account (from another device): it can do nothing more. */
  revoked: boolean;
}

/**
 * Bridges the SDK's events to React: an immutable snapshot that changes whenever something the
 * screens show changes (useSyncExternalStore reads it).
 */
export class AppModel {
  readonly client: CharlaClient;
  #state: ViewState = {
    connection: 'connecting',
    conversations: [],
    messages: new Map(),
    notices: new Map(),
    typing: new Map(),
    previews: new Map(),
    lastError: null,
    revoked: false,
  };
  readonly #listeners = new Set<() => void>();
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Conversations whose messages the screens show; they are kept current. */
  readonly #opened = new Set<string>();
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  readonly #queued = new Set<string>();
  /** What each conversation looked like when its history was last read (see #stale). */
  readonly #readAs = new Map<string, string>();
  /** Set while the browser says it is offline: the socket is closed until it is back. */
  #closing: Promise<void> | undefined;

  constructor(client: CharlaClient) {
    this.client = client;
    const refreshFor = (conversationId: string): void => void this.#refresh(conversationId);
    client.on('connection', (connection) => this.#set({ connection }));
    client.on('message', (m) => {
      this.#show(m);
      refreshFor(m.conversationId);
    });
    client.on('edit', (m) => refreshFor(m.conversationId));
    client.on('delete', (d) => refreshFor(d.conversationId));
    client.on('reaction', (r) => refreshFor(r.message.conversationId));
    client.on('receipt', (r) => refreshFor(r.conversationId));
    client.on('timer', (t) => void this.#notice(t.conversationId, { kind: 'timer', seconds: t.seconds, from: t.from }));
    client.on('sent', (s) => refreshFor(s.conversationId));
    client.on('conversation', (c) => refreshFor(c.id));
    client.on('membership', (m) => void this.#membership(m));
    client.on('keyChange', ({ userId }) => void this.#keyChanged(userId));
    client.on('synced', () => void this.#refresh());
    client.on('typing', ({ conversationId, from, active }) => this.#typing(conversationId, from, active));
    // A revoked device (or an expired session) can no longer send or receive: say so, stop trying.
    client.on('signedOut', () => this.#set({ revoked: true, connection: 'offline' }));
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): ViewState => this.#state;

  async start(): Promise<void> {
    await this.#refresh();
    this.#watchNetwork();
    if (navigator.onLine) await this.#connect();
    else this.#set({ connection: 'offline' });
    await this.#refresh();
  }

  /** Loads a conversation's messages and keeps them current while it is open. */
  async open(conversationId: string): Promise<void> {
    await this.#refresh(conversationId, true);
    const conv = this.#state.conversations.find((c) => c.id === conversationId);
    // Opening a 1:1 chat re-checks the person's account key, so a change shows up where it matters.
    if (conv?.type === 'direct' && conv.peer && this.#state.connection === 'online') {
      void this.client.directory.fetchUser(conv.peer).catch(() => undefined);
    }
  }

  /**
   * Re-reads a conversation after a change this device made that the SDK applies without an event
   * (renameGroup, setAdmin, leaveGroup write the store but announce nothing locally).
   */
  refresh(conversationId: string): Promise<void> {
    return this.#refresh(conversationId);
  }

  reportError(message: string | null): void {
    this.#set({ lastError: message });
  }

  async #connect(): Promise<void> {
    try {
      await this.client.connect();
      this.#set({ connection: 'online' });
    } catch {
      this.#set({ connection: 'offline' });
    }
  }

  /**
   * Browsers keep a WebSocket open after the network went away and notice only minutes later, so
   * the app follows the browser's online/offline events: messages written meanwhile wait in the
   * outbox (shown pending) and go out on reconnection.
   */
  #watchNetwork(): void {
    addEventListener('offline', () => {
      this.#closing = this.client.close().catch(() => undefined);
      this.#set({ connection: 'offline' });
    });
    addEventListener('online', () => {
      if (this.#state.revoked) return;
      void (async () => {
        await this.#closing;
        this.#closing = undefined;
        await this.#connect();
        await this.#refresh();
      })();
    });
  }

  async #keyChanged(userId: string): Promise<void> {
    // The notice in the chat is the warning: mark it given so the SDK does not raise it again.
    await this.client.keyChangedSinceLastWarning(userId).catch(() => false);
    const conversations = await this.client.conversations.list();
    for (const c of conversations) {
      if (!c.left && (c.type === 'direct' ? c.peer === userId : c.members.includes(userId))) await this.#notice(c.id, { kind: 'keyChange', user: userId });
    }
  }

  async #membership(m: ClientEvents['membership']): Promise<void> {
    const conv = await this.client.conversations.get(m.conversationId);
    const me = this.client.userId;
    const added = m.added.filter((u) => u !== me);
    if (m.removedSelf) return this.#notice(m.conversationId, { kind: 'removedSelf' });
    // 1:1 chats have no members to announce: the other person is the chat.
    if (!conv || conv.type !== 'group' || (added.length === 0 && m.removed.length === 0)) return this.#refresh(m.conversationId);
    // This device's first commit adds everyone: that is the group being created, not people joining.
    const created = m.removed.length === 0 && conv.members.every((u) => u === me || added.includes(u)) && (await this.client.history(conv.id)).length === 0;
    return this.#notice(m.conversationId, created ? { kind: 'created' } : { kind: 'members', added, removed: m.removed });
  }

  async #notice(conversationId: string, body: NoticeBody): Promise<void> {
    await addNotice(this.client.store, conversationId, body);
    await this.#refresh(conversationId);
  }

  /**
   * Refreshes run one at a time: two overlapping reads of the same chat could otherwise finish in
   * the wrong order and show the older one (a reaction that appears, then vanishes). A refresh that
   * is queued and not yet started already covers any later change, so repeats are folded into it.
   */
  #refresh(conversationId?: string, open = false): Promise<void> {
    if (open && conversationId) this.#opened.add(conversationId);
    const key = conversationId ?? '*';
    if (this.#queued.has(key)) return this.#chain;
    this.#queued.add(key);
    this.#chain = this.#chain
      .then(() => {
        this.#queued.delete(key);
        return this.#read(conversationId);
      })
      .catch(() => undefined);
    return this.#chain;
  }

  async #read(conversationId: string | undefined): Promise<void> {
    const conversations = await this.client.conversations.list();
    // A refresh of everything re-reads only the chats that changed: with a thousand chats, reading
    // each one's whole history (for its last message) on every refresh dominated start-up.
    const targets = conversationId ? [conversationId] : conversations.filter((c) => this.#stale(c)).map((c) => c.id);
    const wanted = new Set(targets);
    for (const c of conversations) if (wanted.has(c.id)) this.#readAs.set(c.id, signature(c));
    const visible = conversations.filter((c) => !c.left || this.#opened.has(c.id));
    // Many chats to read (start-up): the list shows and takes clicks first; previews follow.
    if (targets.length > 1) this.#set({ conversations: visible });
    const histories = new Map<string, MessageRecord[]>();
    const noticeLists = new Map<string, Notice[]>();
    // In parallel: IndexedDB pipelines the requests, where one at a time waits out each round trip.
    await Promise.all(
      targets.map(async (id) => {
        histories.set(id, await this.client.history(id));
        if (this.#opened.has(id)) noticeLists.set(id, await loadNotices(this.client.store, id));
      }),
    );
    // Merge into the state as it is now: other refreshes may have finished while this one awaited.
    const messages = new Map(this.#state.messages);
    const previews = new Map(this.#state.previews);
    const notices = new Map(this.#state.notices);
    for (const [id, history] of histories) {
      previews.set(id, history.at(-1));
      if (this.#opened.has(id)) messages.set(id, history);
    }
    for (const [id, list] of noticeLists) notices.set(id, list);
    this.#set({ conversations: visible, messages, previews, notices });
    this.#scheduleExpiry();
  }

  /**
   * Shows a new message at once, from the event: the refresh that follows re-reads the store (a
   * thousand chats and the whole open history) and would delay the bubble's first paint by that.
   */
  #show(m: MessageRecord): void {
    if (m.expiresAt !== undefined && m.expiresAt <= Date.now()) return;
    const patch: Partial<ViewState> = {};
    const list = this.#state.messages.get(m.conversationId);
    if (list && !list.some((x) => x.id === m.id)) {
      const at = list.findLastIndex((x) => x.ts <= m.ts) + 1;
      patch.messages = new Map(this.#state.messages).set(m.conversationId, [...list.slice(0, at), m, ...list.slice(at)]);
    }
    const preview = this.#state.previews.get(m.conversationId);
    if (!preview || preview.ts <= m.ts) patch.previews = new Map(this.#state.previews).set(m.conversationId, m);
    if (patch.messages || patch.previews) this.#set(patch);
  }

  /**
   * Whether a conversation's history must be read again in a refresh of everything: it is open, was
   * never read, got messages or unread changes since, or its preview has disappeared. Edits,
   * deletions, reactions and receipts come as events naming their conversation, which re-read it.
   */
  #stale(c: Conversation): boolean {
    if (this.#opened.has(c.id) || this.#readAs.get(c.id) !== signature(c)) return true;
    const preview = this.#state.previews.get(c.id);
    return preview?.expiresAt !== undefined && preview.expiresAt <= Date.now();
  }

  /** Disappearing messages vanish on screen when their time is up (the SDK hides them from history). */
  #scheduleExpiry(): void {
    clearTimeout(this.#expiryTimer);
    let next = Infinity;
    for (const list of this.#state.messages.values()) for (const m of list) if (m.expiresAt !== undefined) next = Math.min(next, m.expiresAt);
    for (const m of this.#state.previews.values()) if (m?.expiresAt !== undefined) next = Math.min(next, m.expiresAt);
    if (next === Infinity) return;
    this.#expiryTimer = setTimeout(() => void this.#refresh(), Math.max(0, next - Date.now()) + 50);
  }

  #typing(conversationId: string, from: string, active: boolean): void {
    const key = `${conversationId} ${from}`;
    clearTimeout(this.#typingTimers.get(key));
    const current = new Set(this.#state.typing.get(conversationId) ?? []);
    if (active) {
      current.add(from);
      // A typing notice lapses if it is not renewed (the sender may have closed the tab).
      this.#typingTimers.set(key, setTimeout(() => this.#typing(conversationId, from, false), 6000));
    } else current.delete(from);
    const typing = new Map(this.#state.typing);
    typing.set(conversationId, [...current]);
    this.#set({ typing });
  }

  #set(patch: Partial<ViewState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const l of this.#listeners) l();
  }
}

function signature(c: Conversation): string {
  return `${c.lastMessageAt} ${c.unread} ${c.left}`;
}
