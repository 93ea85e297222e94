import { messageId as newMessageId, toBase64Url, fromBase64Url, type AttachmentRef, type Content } from '@charla/protocol';
import { decryptAttachment, encryptAttachment, encryptMessage, groupMembers } from '@charla/crypto';
import { Connection, type ConnectionState } from './connection.ts';
import { Conversations, directConversationId, type ContentEffect, type Conversation, type MessageRecord } from './conversations.ts';
import { Directory } from './directory.ts';
import { Emitter } from './emitter.ts';
import { NotFoundError, SdkError, type ApiError } from './errors.ts';
import { claimDevices, commitWithRetry, createGroup, loadGroup, memberUsers, putGroup, reconcileUserDevices, stateOf, withState, type GroupContext } from './groups.ts';
import { HttpApi, type UploadProgress } from './http-api.ts';
import { applyEvent, type IncomingResult } from './incoming.ts';
import { refillKeyPackages } from './key-packages.ts';
import { startDeviceLink, type DeviceLinkSession } from './device-link.ts';
import { keyFingerprint, makeInviteLink, parseInviteLink } from './invite.ts';
import { Outbox, outboxKey, type OutboxEntry } from './outbox.ts';
import { loadProfile, type Profile } from './profile.ts';
import { SerialQueue } from './serial-queue.ts';
import { callLinkFor, prepareCall, type StartedCall } from './room/call.ts';
import type { LocalStore } from './store.ts';

export interface ClientEvents {
  connection: ConnectionState;
  message: MessageRecord;
  edit: MessageRecord;
  delete: { conversationId: string; messageId: string };
  reaction: { message: MessageRecord; emoji: string; from: string; removed: boolean };
  receipt: { conversationId: string; from: string; status: 'delivered' | 'read'; messageIds: string[] };
  typing: { conversationId: string; from: string; active: boolean };
  timer: { conversationId: string; seconds: number; from: string };
  conversation: Conversation;
  membership: { conversationId: string; groupId: string; added: string[]; removed: string[]; removedSelf: boolean };
  deviceChange: { userId: string };
  keyChange: { userId: string };
  sent: { conversationId: string; messageId: string };
  failed: { conversationId: string; messageId: string; code: string };
  warning: { message: string };
  /** This device can no longer use its session: it was revoked, or the session expired. */
  signedOut: { reason: 'DEVICE_REVOKED' | 'TOKEN_EXPIRED' };
  synced: undefined;
}

export interface OpenOptions {
  /** Reconnect after drops (default true; the CLI's one-shot commands turn it off). */
  reconnect?: boolean;
}

/**
 * The client engine: a device's view of its chats. It owns the connection, applies incoming
 * events in order through one queue, sends through a persistent outbox, and exposes chat actions.
 * The web app and the CLI only render its state and events.
 */
export class CharlaClient extends Emitter<ClientEvents> {
  readonly profile: Profile;
  readonly store: LocalStore;
  readonly http: HttpApi;
  readonly directory: Directory;
  readonly conversations: Conversations;
  readonly #queue = new SerialQueue();
  readonly #ctx: GroupContext;
  readonly #outbox: Outbox;
  readonly #background = new Set<Promise<unknown>>();
  readonly #options: OpenOptions;
  #connection: Connection | undefined;
  #synced: { promise: Promise<void>; resolve: () => void } = deferred();
  readonly #pendingAcks = new Map<string, number>();
  readonly #pendingDelivered = new Map<string, Set<string>>();
  #deliveredTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(store: LocalStore, profile: Profile, options: OpenOptions) {
    super();
    this.store = store;
    this.profile = profile;
    this.#options = options;
    this.http = new HttpApi(profile.serverUrl, profile.token);
    this.directory = new Directory(store, this.http, profile.userId, (userId) => this.emit('keyChange', { userId }));
    this.conversations = new Conversations(store);
    this.#ctx = {
      store,
      http: this.http,
      connection: () => {
        if (!this.#connection) throw new SdkError('NOT_CONNECTED', 'call connect() first');
        return this.#connection;
      },
      queue: this.#queue,
      profile,
      directory: this.directory,
    };
    this.#outbox = new Outbox(
      this.#ctx,
      this.conversations,
      (entry, _seq) => this.#markSent(entry),
      (entry, error) => this.#markFailed(entry, error),
    );
  }

  /** Opens the client of the device whose profile is in `store` (after register or login). */
  static async open(store: LocalStore, options: OpenOptions = {}): Promise<CharlaClient> {
    const profile = await loadProfile(store);
    if (!profile) throw new SdkError('NO_PROFILE', 'no account on this device: register or log in first');
    return new CharlaClient(store, profile, options);
  }

  get userId(): string {
    return this.profile.userId;
  }

  /**
   * Connects, applies everything that arrived while offline, sends the outbox, and tops up key
   * packages. Resolves when this device is up to date.
   */
  async connect(): Promise<void> {
    if (!this.#connection) {
      const connection = new Connection({ baseUrl: this.profile.serverUrl, token: this.profile.token, reconnect: this.#options.reconnect ?? true });
      this.#connection = connection;
      connection.on('event', ({ frame, body }) => {
        this.#track(this.#queue.run(() => this.#onEvent(frame, body)));
      });
      connection.on('synced', () => {
        this.#track(this.#afterSync());
      });
      connection.on('state', (state) => {
        if (state !== 'online') this.#synced = deferred();
        this.emit('connection', state);
      });
      connection.on('error', (error) => {
        this.emit('warning', { message: `server: ${error.code}` });
        if (error.code === 'DEVICE_REVOKED' || error.code === 'TOKEN_EXPIRED') this.emit('signedOut', { reason: error.code });
      });
    }
    await this.#connection.open();
    await this.#synced.promise;
  }

  /**
   * Drops the connection at once (the browser went offline, say) without waiting for background
   * work; `reconnect()` opens it again and catches up. The outbox keeps what is written meanwhile.
   */
  disconnect(): void {
    this.#connection?.close();
  }

  async reconnect(): Promise<void> {
    await this.connect();
  }

  /** Waits until every event received so far and every follow-up (reconciliation, outbox) is done. */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await this.#queue.idle();
      if (this.#background.size === 0) return;
      await Promise.allSettled([...this.#background]);
    }
  }

  async close(): Promise<void> {
    // A one-shot command may exit right after receiving: say "delivered" before leaving.
    await this.settle();
    this.#flushDelivered();
    await this.settle();
    if (this.#ackTimer) {
      clearTimeout(this.#ackTimer);
      this.#ackTimer = undefined;
      for (const [g, s] of this.#pendingAcks) this.#connection?.notify({ t: 'ack', groupId: g, seq: s });
      this.#pendingAcks.clear();
    }
    this.#connection?.close();
    this.#connection = undefined;
  }

  // ---- chats -------------------------------------------------------------------------------

  /** A chat by group name, conversation id, or a person's username (opening a 1:1 if needed). */
  async resolveConversation(nameOrUser: string): Promise<Conversation> {
    const all = await this.conversations.list();
    const byId = all.find((c) => c.id === nameOrUser);
    if (byId) return byId;
    // Groups you are in come first; a group you were removed from still shows its history.
    const named = all.filter((c) => c.type === 'group' && c.name === nameOrUser);
    const groups = named.some((c) => !c.left) ? named.filter((c) => !c.left) : named;
    if (groups.length === 1) return groups[0]!;
    if (groups.length > 1) throw new SdkError('AMBIGUOUS', `several groups are called ${nameOrUser}`);
    return this.openDirect(nameOrUser);
  }

  /** The 1:1 chat with a person, created (end-to-end encrypted) on first use. */
  async openDirect(nameOrUser: string): Promise<Conversation> {
    const peer = this.directory.resolve(nameOrUser);
    if (peer === this.userId) throw new SdkError('SELF_CHAT', 'that is you');
    const id = directConversationId(peer);
    const existing = await this.conversations.get(id);
    if (existing && !existing.left) return existing;
    await this.directory.fetchUser(peer); // pins the key, fails early on an unknown user
    return this.#newConversation({ id, type: 'direct', name: peer.slice(1).split(':')[0] ?? peer, peer, members: [this.userId, peer] });
  }

  async createGroupChat(name: string, members: string[]): Promise<Conversation> {
    const ids = [...new Set(members.map((m) => this.directory.resolve(m)))].filter((u) => u !== this.userId);
    for (const u of ids) await this.directory.fetchUser(u);
    return this.#newConversation({ id: '', type: 'group', name, members: [this.userId, ...ids] });
  }

  async #newConversation(spec: { id: string; type: 'direct' | 'group'; name: string; peer?: string; members: string[] }): Promise<Conversation> {
    const record = await createGroup(this.#ctx, spec.id || undefined);
    const id = spec.id || record.groupId;
    const conv: Conversation = {
      id,
      type: spec.type,
      name: spec.name,
      ...(spec.peer ? { peer: spec.peer } : {}),
      groupIds: [record.groupId],
      members: spec.members,
      admins: spec.type === 'group' ? [this.userId] : [],
      timerSeconds: 0,
      lastMessageAt: Date.now(),
      unread: 0,
      left: false,
    };
    await this.store.write([this.conversations.putConversation(conv), putGroup({ ...record, conversationId: id })]);
    await this.#addUsers(record.groupId, spec.members);
    await this.#sendMeta(conv, record.groupId);
    this.emit('conversation', conv);
    return conv;
  }

  async addMembers(conversationId: string, users: string[]): Promise<void> {
    const conv = await this.#conversation(conversationId);
    const ids = users.map((u) => this.directory.resolve(u));
    for (const u of ids) await this.directory.fetchUser(u);
    const groupId = await this.#activeGroup(conv);
    await this.#addUsers(groupId, ids);
    await this.#sendMeta((await this.conversations.get(conv.id)) ?? conv, groupId);
  }

  async removeMembers(conversationId: string, users: string[]): Promise<void> {
    const conv = await this.#conversation(conversationId);
    const ids = new Set(users.map((u) => this.directory.resolve(u)));
    const groupId = await this.#activeGroup(conv);
    await this.#commit(groupId, async (state) => {
      const remove = groupMembers(state).filter((m) => ids.has(m.user)).map((m) => m.device);
      return remove.length ? { add: [], remove } : null;
    });
  }

  async #addUsers(groupId: string, users: string[]): Promise<void> {
    await this.#commit(groupId, async (state) => {
      const present = new Set(groupMembers(state).map((m) => m.device));
      const { keyPackages, missing } = await claimDevices(this.#ctx, users, present);
      if (missing.length) this.emit('warning', { message: `some devices of ${[...new Set(missing)].join(', ')} could not be added yet` });
      return keyPackages.length ? { add: keyPackages, remove: [] } : null;
    });
  }

  async #sendMeta(conv: Conversation, groupId: string): Promise<void> {
    const group = conv.type === 'group' ? { name: conv.name, ...(conv.admins.length ? { admins: conv.admins } : {}) } : {};
    await this.#enqueue(conv.id, { kind: 'conversation', type: conv.type, ...group, members: conv.members }, groupId);
  }

  /** Renames a group (admins only, [CONTENT-9]). */
  async renameGroup(conversationId: string, name: string): Promise<void> {
    const conv = await this.#adminOf(conversationId);
    const updated = { ...conv, name };
    await this.store.write([this.conversations.putConversation(updated)]);
    this.emit('conversation', updated);
    await this.#sendMeta(updated, await this.#activeGroup(conv));
  }

  /** Makes someone an admin of a group, or takes it back (admins only). */
  async setAdmin(conversationId: string, user: string, admin: boolean): Promise<void> {
    const conv = await this.#adminOf(conversationId);
    const userId = this.directory.resolve(user);
    const admins = admin ? [...new Set([...conv.admins, userId])] : conv.admins.filter((a) => a !== userId);
    if (admins.length === 0) throw new SdkError('LAST_ADMIN', 'a group needs at least one admin');
    const updated = { ...conv, admins };
    await this.store.write([this.conversations.putConversation(updated)]);
    this.emit('conversation', updated);
    await this.#sendMeta(updated, await this.#activeGroup(conv));
  }

  /**
   * Leaves a group ([CONTENT-10]): tells the others, who remove this account's devices; from now
   * on this device sends nothing there. Its history stays readable here.
   */
  async leaveGroup(conversationId: string): Promise<void> {
    const conv = await this.#conversation(conversationId);
    if (conv.type !== 'group') throw new SdkError('NOT_A_GROUP', 'only groups can be left');
    await this.#enqueue(conv.id, { kind: 'leave' });
    const left = { ...conv, left: true, admins: conv.admins.filter((a) => a !== this.userId) };
    await this.store.write([this.conversations.putConversation(left)]);
    this.emit('conversation', left);
  }

  /**
   * Commits through commitWithRetry and, when this device's commit went in, brings the chat's member
   * list up to date and announces it (the server's echo of our own commit is not processed again).
   */
  async #commit(groupId: string, compute: Parameters<typeof commitWithRetry>[2]): Promise<'committed' | 'nothing'> {
    const before = await loadGroup(this.store, groupId);
    const beforeUsers = before ? memberUsers(stateOf(before)) : [];
    const outcome = await commitWithRetry(this.#ctx, groupId, compute);
    if (outcome === 'committed') await this.#membersChanged(groupId, beforeUsers);
    return outcome;
  }

  async #membersChanged(groupId: string, beforeUsers: string[]): Promise<void> {
    const record = await loadGroup(this.store, groupId);
    if (!record) return;
    const users = memberUsers(stateOf(record));
    const conversationId = record.conversationId ?? groupId;
    const conv = await this.conversations.get(conversationId);
    if (conv) await this.store.write([this.conversations.putConversation({ ...conv, members: users })]);
    const added = users.filter((u) => !beforeUsers.includes(u));
    const removed = beforeUsers.filter((u) => !users.includes(u));
    if (added.length || removed.length) this.emit('membership', { conversationId, groupId, added, removed, removedSelf: false });
  }

  async #adminOf(conversationId: string): Promise<Conversation> {
    const conv = await this.#conversation(conversationId);
    if (conv.type !== 'group') throw new SdkError('NOT_A_GROUP', 'that is not a group');
    if (conv.admins.length > 0 && !conv.admins.includes(this.userId)) throw new SdkError('NOT_ADMIN', `only admins of ${conv.name} can do that`);
    return conv;
  }

  // ---- messages ----------------------------------------------------------------------------

  async sendText(conversationId: string, text: string, extra: { inReplyTo?: string; attachment?: AttachmentRef } = {}): Promise<MessageRecord> {
    const conv = await this.#conversation(conversationId);
    const now = Date.now();
    const expires = conv.timerSeconds > 0 ? now + conv.timerSeconds * 1000 : undefined;
    const content: Content = { v: 1, id: newMessageId(now), ts: now, kind: 'text', text, ...extra, ...(expires ? { expires } : {}) };
    return (await this.#enqueue(conv.id, content, undefined, expires))!;
  }

  async reply(messageId: string, text: string): Promise<MessageRecord> {
    const target = await this.#message(messageId);
    return this.sendText(target.conversationId, text, { inReplyTo: target.id });
  }

  async react(messageId: string, emoji: string, remove = false): Promise<void> {
    const target = await this.#message(messageId);
    await this.#enqueue(target.conversationId, { kind: 'reaction', target: target.id, emoji, ...(remove ? { remove } : {}) });
  }

  async edit(messageId: string, text: string): Promise<void> {
    const target = await this.#ownMessage(messageId);
    await this.#enqueue(target.conversationId, { kind: 'edit', replaces: target.id, text });
  }

  /** Deletes a message for everyone: every device drops it, and the server drops its ciphertext. */
  async deleteForEveryone(messageId: string): Promise<void> {
    const target = await this.#ownMessage(messageId);
    await this.#enqueue(target.conversationId, { kind: 'delete', replaces: target.id });
    await this.#outbox.add({ key: outboxKey(Date.now(), `${target.id}-r`), type: 'redact', msgId: newMessageId(), conversationId: target.conversationId, groupId: target.groupId, target: target.id });
    await this.#flush();
  }

  /** Sets the disappearing-messages timer of a chat (0 turns it off). */
  async setTimer(conversationId: string, seconds: number): Promise<void> {
    await this.#enqueue(conversationId, { kind: 'timer', seconds });
  }

  /** Marks a chat read here and tells the senders, once per message ([CONTENT-3] receipts). */
  async markRead(conversationId: string): Promise<void> {
    const conv = await this.#conversation(conversationId);
    const since = conv.readUpTo ?? 0;
    const fresh = (await this.conversations.messages(conv.id)).filter((m) => !m.outgoing && !m.deleted && m.ts > since).slice(-RECEIPT_BATCH);
    const readUpTo = Math.max(since, ...fresh.map((m) => m.ts));
    if (conv.unread === 0 && fresh.length === 0) return;
    const read = { ...conv, unread: 0, readUpTo };
    await this.store.write([this.conversations.putConversation(read)]);
    this.emit('conversation', read);
    if (fresh.length && !conv.left) await this.#enqueue(conv.id, { kind: 'receipt', status: 'read', targets: fresh.map((m) => m.id) });
  }

  /**
   * Delivered receipts (✓✓): one per chat per burst, for messages from other people, and only in
   * chats small enough that every member answering every message stays cheap.
   */
  #delivered(message: MessageRecord): void {
    if (message.outgoing) return;
    let ids = this.#pendingDelivered.get(message.conversationId);
    if (!ids) this.#pendingDelivered.set(message.conversationId, (ids = new Set()));
    ids.add(message.id);
    this.#deliveredTimer ??= setTimeout(() => this.#flushDelivered(), RECEIPT_DELAY_MS);
  }

  #flushDelivered(): void {
    if (this.#deliveredTimer) clearTimeout(this.#deliveredTimer);
    this.#deliveredTimer = undefined;
    const batches = [...this.#pendingDelivered];
    this.#pendingDelivered.clear();
    for (const [conversationId, set] of batches) {
      this.#track(
        (async () => {
          const conv = await this.conversations.get(conversationId);
          if (!conv || conv.left || conv.members.length > DELIVERY_RECEIPT_MAX_MEMBERS) return;
          await this.#enqueue(conversationId, { kind: 'receipt', status: 'delivered', targets: [...set].slice(-RECEIPT_BATCH) });
        })(),
      );
    }
  }

  /** Typing notices are ephemeral: never stored by the server, dropped while offline. */
  async sendTyping(conversationId: string, active: boolean): Promise<void> {
    const conv = await this.#conversation(conversationId);
    const groupId = await this.#activeGroup(conv);
    const content: Content = { v: 1, id: newMessageId(), ts: Date.now(), kind: 'typing', active };
    await this.#queue.run(async () => {
      const record = await loadGroup(this.store, groupId);
      if (!record) return;
      const { message, newState } = await encryptMessage(stateOf(record), new TextEncoder().encode(JSON.stringify(content)));
      await this.store.write([putGroup(withState(record, newState))]);
      await this.#ctx.connection().request({ t: 'send', groupId, epoch: record.epoch, msgId: content.id, ephemeral: true }, message).catch(() => undefined);
    });
  }

  /** Encrypts a file, uploads the ciphertext with progress, and sends a message referring to it. */
  async sendFile(
    conversationId: string,
    file: { bytes: Uint8Array; name: string; mediaType: string; thumbnail?: string; width?: number; height?: number },
    text = '',
    onProgress?: UploadProgress,
  ): Promise<MessageRecord> {
    const { blob, key, hash } = await encryptAttachment(file.bytes);
    const { blobId } = await this.http.uploadBlob(blob, onProgress);
    const attachment: AttachmentRef = {
      blobId,
      url: `${this.profile.serverUrl}/v1/blobs/${blobId}`,
      key: toBase64Url(key),
      hash: toBase64Url(hash),
      name: file.name,
      mediaType: file.mediaType,
      size: file.bytes.length,
      ...(file.thumbnail ? { thumbnail: file.thumbnail } : {}),
      ...(file.width && file.height ? { width: file.width, height: file.height } : {}),
    };
    return this.sendText(conversationId, text, { attachment });
  }

  async downloadAttachment(messageId: string, onProgress?: UploadProgress): Promise<{ bytes: Uint8Array; name: string; mediaType: string }> {
    const message = await this.#message(messageId);
    const a = message.attachment;
    if (!a) throw new NotFoundError('that message has no attachment');
    const blob = await this.http.downloadBlob(a.url, onProgress);
    const bytes = await decryptAttachment(blob, fromBase64Url(a.key), fromBase64Url(a.hash));
    return { bytes, name: a.name, mediaType: a.mediaType };
  }

  history(conversationId: string): Promise<MessageRecord[]> {
    return this.conversations.messages(conversationId);
  }

  // ---- calls ([CONTENT-11]) ----------------------------------------------------------------

  /**
   * Starts a call in a chat: creates a room keyed by the group's MLS exporter secret and posts a
   * `call` message (room id and epoch, never the secret). Resolves with the caller's host link.
   */
  async startCall(conversationId: string, options: { lobby?: boolean } = {}): Promise<StartedCall> {
    const conv = await this.#conversation(conversationId);
    const groupId = await this.#activeGroup(conv);
    const record = await loadGroup(this.store, groupId);
    if (!record) throw new SdkError('NOT_A_MEMBER', `you are no longer in ${conv.name}`);
    const { content, secret, hostToken } = await prepareCall(this.http, this.profile.serverUrl, stateOf(record), options);
    const message = await this.#enqueue(conv.id, content, groupId, undefined, { secret: toBase64Url(secret), hostToken });
    const link = message && callLinkFor(message);
    if (!link) throw new SdkError('CALL_FAILED', 'the call message could not be stored');
    return { conversationId: conv.id, messageId: content.id, roomId: content.roomId, link };
  }

  /** The room link of a call message: a host link for the caller, a guest link for the others. */
  callLinkFor(message: Pick<MessageRecord, 'call'>): string | undefined {
    return callLinkFor(message);
  }

  // ---- devices and trust -------------------------------------------------------------------

  async devices(): Promise<Array<{ deviceId: string; name: string; createdAt: number; lastSeenAt: number | null; current: boolean }>> {
    const { devices } = await this.http.call('ownDevices');
    return devices.map(({ deviceId, name, createdAt, lastSeenAt, current }) => ({ deviceId, name, createdAt, lastSeenAt, current }));
  }

  /** Revokes a device of this account and removes it from every group this device is in. */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.http.call('revokeDevice', undefined, { deviceId });
    const groups = await this.store.list<{ groupId: string; active: boolean }>('groups');
    for (const { value } of groups) {
      if (!value.active) continue;
      await this.#commit(value.groupId, async (state) =>
        groupMembers(state).some((m) => m.device === deviceId) ? { add: [], remove: [deviceId] } : null,
      ).catch((error: unknown) => this.emit('warning', { message: `could not remove the device from a group: ${String(error)}` }));
    }
  }

  /**
   * Starts linking a new device of this account ([LINK-*]): show `url` as a QR code or `code` to
   * type; `completed` resolves once the new device has its credential and recent history.
   */
  linkNewDevice(): Promise<DeviceLinkSession> {
    return startDeviceLink(this.store, this.http, this.profile);
  }

  /** This account's invite link; opening it proves our account key to the person who opens it. */
  inviteLink(): Promise<string> {
    return makeInviteLink(this.profile.serverUrl, this.profile.username, this.profile.accountPublicKey);
  }

  /**
   * Opens the 1:1 chat with the owner of an invite link, after checking that the server presents
   * the account key the link vouches for.
   */
  async acceptInvite(link: string): Promise<Conversation> {
    const invite = parseInviteLink(link);
    if (invite.server !== new URL(this.profile.serverUrl).origin) {
      throw new SdkError('OTHER_SERVER', `that invite is for ${invite.server}; this version talks only to accounts on ${this.profile.serverUrl}`);
    }
    const userId = this.directory.resolve(invite.username);
    const user = await this.directory.fetchUser(userId);
    if ((await keyFingerprint(user.accountPublicKey)) !== invite.fingerprint) {
      throw new SdkError('INVITE_KEY_MISMATCH', `the server's key for ${invite.username} does not match the invite link: do not trust this chat`);
    }
    return this.openDirect(userId);
  }

  safetyNumber(nameOrUser: string): Promise<string> {
    return this.directory.safetyNumber(this.userId, this.directory.resolve(nameOrUser));
  }

  /** True once after the person's account key changed (then the warning counts as given). */
  keyChangedSinceLastWarning(nameOrUser: string): Promise<boolean> {
    return this.directory.takeKeyChangeWarning(this.directory.resolve(nameOrUser));
  }

  // ---- internals ---------------------------------------------------------------------------

  async #enqueue(
    conversationId: string,
    body: DistributiveOmit<Content, 'v' | 'id' | 'ts'> | Content,
    groupId?: string,
    expiresAt?: number,
    call?: { secret: string; hostToken: string },
  ): Promise<MessageRecord | undefined> {
    const content = ('v' in body ? body : { v: 1, id: newMessageId(), ts: Date.now(), ...body }) as Content;
    const entry: OutboxEntry = {
      key: outboxKey(content.ts, content.id),
      type: 'content',
      msgId: content.id,
      conversationId,
      content,
      ...(groupId ? { groupId } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    };
    await this.#outbox.add(entry);
    // Our own content is applied locally at once (local echo); other devices get it from the log.
    let message: MessageRecord | undefined;
    if (content.kind !== 'conversation' && content.kind !== 'receipt' && content.kind !== 'leave') {
      const conv = await this.#conversation(conversationId);
      const applied = await this.conversations.apply(conv, content, {
        userId: this.userId,
        deviceId: this.profile.deviceId,
        groupId: groupId ?? conv.groupIds[0] ?? '',
        outgoing: true,
        pending: true,
        now: Date.now(),
        ...(call ? { call } : {}),
      });
      await this.store.write(applied.writes);
      this.#announce(applied.effects);
      message = applied.effects.find((e) => e.type === 'message')?.message;
    }
    await this.#flush();
    return message;
  }

  async #flush(): Promise<void> {
    if (this.#connection?.state === 'online') await this.#outbox.flush();
  }

  async #markSent(entry: OutboxEntry): Promise<void> {
    if (entry.content?.kind !== 'text') return;
    const m = await this.conversations.findMessage(entry.msgId);
    if (m && m.status === 'pending') await this.store.write(this.conversations.putMessage({ ...m, status: 'sent' }));
    this.emit('sent', { conversationId: entry.conversationId, messageId: entry.msgId });
  }

  async #markFailed(entry: OutboxEntry, error: ApiError): Promise<void> {
    this.emit('failed', { conversationId: entry.conversationId, messageId: entry.msgId, code: error.code });
  }

  async #onEvent(frame: Parameters<typeof applyEvent>[2], body: Uint8Array | null): Promise<void> {
    const result: IncomingResult = await applyEvent(this.#ctx, this.conversations, frame, body);
    if (frame.seq > 0) this.#ack(frame.groupId, frame.seq);
    this.#announce(result.effects);
    if (result.membership) this.emit('membership', result.membership);
    if (result.warning) this.emit('warning', { message: result.warning });
    if (result.removeUser) {
      const { groupId, userId } = result.removeUser;
      this.#track(
        this.#commit(groupId, async (state) => {
          const remove = groupMembers(state).filter((m) => m.user === userId).map((m) => m.device);
          return remove.length ? { add: [], remove } : null;
        }).catch((e: unknown) => this.emit('warning', { message: `removing a member who left: ${String(e)}` })),
      );
    }
    if (result.reconcile) {
      const { groupId, userId } = result.reconcile;
      this.emit('deviceChange', { userId });
      // Not awaited inside the queue: reconciliation itself queues work.
      this.#track(
        reconcileUserDevices(this.#ctx, groupId, userId)
          .then(async (outcome) => {
            // Devices that just joined cannot read earlier messages: tell them what this chat is.
            const record = await loadGroup(this.store, groupId);
            const conv = record?.conversationId ? await this.conversations.get(record.conversationId) : undefined;
            if (outcome === 'committed' && conv) await this.#sendMeta(conv, groupId);
          })
          .catch((e: unknown) => this.emit('warning', { message: `device reconciliation: ${String(e)}` })),
      );
    }
  }

  /**
   * Acks are cumulative ([DEL-2]), so a burst of events costs one ack per group: the highest seq
   * applied, sent once the queue has drained what arrived together. Unsent acks only mean a
   * redelivery, which applyEvent skips.
   */
  #ack(groupId: string, seq: number): void {
    this.#pendingAcks.set(groupId, Math.max(seq, this.#pendingAcks.get(groupId) ?? 0));
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      for (const [g, s] of this.#pendingAcks) this.#connection?.notify({ t: 'ack', groupId: g, seq: s });
      this.#pendingAcks.clear();
    }, ACK_DELAY_MS);
  }

  async #afterSync(): Promise<void> {
    await this.#queue.idle();
    await this.conversations.sweepExpired();
    await refillKeyPackages(this.store, this.http, this.profile).catch(() => undefined);
    await this.#outbox.flush();
    this.#synced.resolve();
    this.emit('synced', undefined);
  }

  #announce(effects: ContentEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'message':
          this.emit('message', e.message);
          this.#delivered(e.message);
          break;
        case 'edit': this.emit('edit', e.message); break;
        case 'delete': this.emit('delete', { conversationId: e.conversationId, messageId: e.messageId }); break;
        case 'reaction': this.emit('reaction', { message: e.message, emoji: e.emoji, from: e.from, removed: e.removed }); break;
        case 'receipt': this.emit('receipt', { conversationId: e.conversationId, from: e.from, status: e.status, messageIds: e.messageIds }); break;
        case 'typing': this.emit('typing', { conversationId: e.conversationId, from: e.from, active: e.active }); break;
        case 'timer': this.emit('timer', { conversationId: e.conversationId, seconds: e.seconds, from: e.from }); break;
        case 'conversation': this.emit('conversation', e.conversation); break;
      }
    }
  }

  #track(promise: Promise<unknown>): void {
    const p = promise.catch((error: unknown) => this.emit('warning', { message: String(error) }));
    this.#background.add(p);
    void p.finally(() => this.#background.delete(p));
  }

  async #conversation(id: string): Promise<Conversation> {
    const conv = await this.conversations.get(id);
    if (!conv) throw new NotFoundError(`no chat ${id}`);
    return conv;
  }

  async #activeGroup(conv: Conversation): Promise<string> {
    for (const groupId of conv.groupIds) if ((await loadGroup(this.store, groupId))?.active) return groupId;
    throw new SdkError('NOT_A_MEMBER', `you are no longer in ${conv.name}`);
  }

  async #message(idOrPrefix: string): Promise<MessageRecord> {
    const m = await this.conversations.findMessage(idOrPrefix);
    if (!m) throw new NotFoundError(`no message ${idOrPrefix} (or the id prefix is ambiguous)`);
    return m;
  }

  async #ownMessage(idOrPrefix: string): Promise<MessageRecord> {
    const m = await this.#message(idOrPrefix);
    if (m.sender !== this.userId) throw new SdkError('NOT_YOURS', 'you can only change your own messages');
    return m;
  }
}

/** Receipts name at most this many messages (the protocol allows 500). */
const RECEIPT_BATCH = 200;
/** Delivered receipts wait this long to cover a burst of messages with one receipt. */
const RECEIPT_DELAY_MS = 150;
/** Chats with more members send no delivered receipts (read receipts still go out when read). */
const DELIVERY_RECEIPT_MAX_MEMBERS = 10;
/** How long acks wait to be merged with the acks of events that arrive right after. */
const ACK_DELAY_MS = 20;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
