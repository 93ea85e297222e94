import type {
  AccountRecord,
  AckInput,
  ClaimedKeyPackage,
  CommitInput,
  CommitOutcome,
  DeviceLinkRecord,
  DeviceRecord,
  DeviceRef,
  GroupFailure,
  GroupInfo,
  LastSeenInput,
  LinkMessage,
  LogEntry,
  MembershipCursor,
  MessageInput,
  MessageOutcome,
  RedactOutcome,
  RoomRecord,
  SessionRecord,
} from './types.ts';

/**
 * The storage contract. Every method is one transaction, so a second implementation (PostgreSQL)
 * implements the same methods with the same atomicity and never sees SQL leak out of here.
 * Methods that validate (membership, epoch, idempotency) do so inside their transaction and return
 * a failure value rather than throwing, leaving the protocol mapping to the services.
 */
export interface Store {
  // Accounts and invites
  /** Creates the account; if inviteTokenHash is given it is consumed in the same transaction. */
  createAccount(account: AccountRecord, inviteTokenHash: Uint8Array | null): Promise<'ok' | 'USERNAME_TAKEN' | 'INVALID_INVITE_TOKEN'>;
  getAccount(username: string): Promise<AccountRecord | undefined>;
  createInviteToken(tokenHash: Uint8Array, createdBy: string, ts: number): Promise<void>;

  // Devices and sessions
  createDeviceAndSession(device: DeviceRecord, session: SessionRecord): Promise<void>;
  getSession(tokenHash: Uint8Array): Promise<{ session: SessionRecord; device: DeviceRecord } | undefined>;
  deleteSession(tokenHash: Uint8Array): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Active (activated, not revoked) devices of the account. */
  listActiveDevices(username: string): Promise<DeviceRecord[]>;
  /**
   * Publishes the device's signature key. Appends a 'devices' event ([DEV-3]) to every group the
   * account is in and returns those entries for fan-out.
   */
  activateDevice(deviceId: string, signatureKey: string, credentialSignature: string, ts: number): Promise<LogEntry[]>;
  /**
   * Revokes the device: sessions stop working, key packages are deleted, its memberships end now,
   * and a 'devices' event is appended to every group the account (or this device) was in.
   */
  revokeDevice(username: string, deviceId: string, ts: number): Promise<LogEntry[] | 'UNKNOWN_DEVICE'>;
  touchDevice(deviceId: string, ts: number): Promise<void>;

  // Key packages
  addKeyPackages(deviceId: string, keyPackages: readonly string[], lastResort: string | null, max: number): Promise<{ count: number; hasLastResort: boolean } | 'POOL_FULL'>;
  countKeyPackages(deviceId: string): Promise<{ count: number; hasLastResort: boolean }>;
  /** Atomically takes one one-time package per device (falling back to its last-resort one). */
  claimKeyPackages(deviceIds: readonly string[]): Promise<Map<string, ClaimedKeyPackage>>;

  // Groups
  createGroup(groupId: string, creator: DeviceRef, ts: number): Promise<'ok' | 'GROUP_EXISTS'>;
  applyCommit(input: CommitInput): Promise<CommitOutcome>;
  appendMessage(input: MessageInput): Promise<MessageOutcome>;
  /**
   * Group commit: appendMessage for each input, in input order, in ONE transaction (one disk
   * sync for all). Each input gets the outcome it would get alone after the ones before it (seqs
   * in input order; a msgId repeated inside the batch is a duplicate of its first occurrence); a
   * failed check fails only its input. Throws only if the transaction as a whole fails.
   */
  appendMessages(inputs: readonly MessageInput[]): Promise<MessageOutcome[]>;
  /**
   * True if appendMessages has assigned its inputs' seqs by the time it returns its promise, which
   * then only waits for the disk (the SQLite store: its commit is synchronous). A caller may then
   * start the next batch before the previous one resolves; promises still resolve in call order.
   * Otherwise (a networked database) batches must not overlap, or seqs could leave call order.
   */
  readonly appendsOrderAtCall?: boolean;
  /** Checks membership and epoch for a message that is not stored (ephemeral). */
  checkSend(groupId: string, deviceId: string, epoch: number): Promise<GroupFailure | { error?: undefined; epoch: number }>;
  redact(groupId: string, sender: DeviceRef, msgId: string, ts: number): Promise<RedactOutcome>;
  getGroupInfo(groupId: string, deviceId: string): Promise<GroupInfo | GroupFailure>;

  // Delivery: a device's mailbox is its cursors over its groups' logs
  /** Membership periods of the device that still have events to deliver, or are current. */
  listCursors(deviceId: string): Promise<MembershipCursor[]>;
  /** Entries with afterSeq < seq <= uptoSeq (null: no bound), in seq order, excluding expired ones. */
  readLog(groupId: string, afterSeq: number, uptoSeq: number | null, limit: number, now: number): Promise<LogEntry[]>;
  /** Cumulative ack; false if the device never was a member. */
  ack(groupId: string, deviceId: string, seq: number): Promise<boolean>;
  /**
   * Writes acks and last-seen times a node buffered, in one transaction: each ack as `ack` would
   * (cumulative, clamped; unknown memberships are skipped), each last-seen time only forward.
   */
  saveAcks(acks: readonly AckInput[], lastSeen: readonly LastSeenInput[]): Promise<void>;

  // Device links ([LINK-*])
  createDeviceLink(link: DeviceLinkRecord): Promise<'ok' | 'EXISTS'>;
  getDeviceLink(linkId: string, now: number): Promise<DeviceLinkRecord | undefined>;
  /** Atomically: if the link is unexpired and unused, creates the joiner's device and session and marks the link used. */
  joinDeviceLink(linkId: string, device: DeviceRecord, session: SessionRecord, now: number): Promise<'ok' | 'UNKNOWN_LINK' | 'LINK_USED'>;
  appendLinkMessage(linkId: string, from: 'creator' | 'joiner', payload: string, ts: number): Promise<number>;
  readLinkMessages(linkId: string): Promise<LinkMessage[]>;

  // Rooms ([ROOM-*])
  createRoom(room: RoomRecord): Promise<'ok' | 'EXISTS'>;
  /** The room if it exists and has not expired at `now`. */
  getRoom(roomId: string, now: number): Promise<RoomRecord | undefined>;
  /** Moves the room's expiry to `expiresAt` if that is later (a room in use never expires). */
  touchRoom(roomId: string, expiresAt: number): Promise<void>;

  // Maintenance
  deleteExpiredMessages(now: number): Promise<number>;
  /** Deletes entries every member passed, and entries older than cutoffTs. */
  collectGarbage(cutoffTs: number): Promise<number>;
  deleteExpiredSessions(now: number): Promise<number>;
  /** Deletes expired device links and their messages. */
  deleteExpiredLinks(now: number): Promise<number>;
  deleteExpiredRooms(now: number): Promise<number>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
