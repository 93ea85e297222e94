import type { Store } from '../store.ts';
import { deleteUntilShort, seqChunks, SWEEP_CHUNK_ROWS } from '../sweep.ts';
import type {
  AccountRecord, AckInput, CommitInput, DeviceLinkRecord, DeviceRecord, DeviceRef, LastSeenInput, MessageInput, RoomRecord, SessionRecord,
} from '../types.ts';
import { Db } from './db.ts';
import * as accounts from './accounts.ts';
import * as groups from './groups.ts';
import { readLog } from './log.ts';
import * as links from './links.ts';
import { Checkpointer } from './checkpointer.ts';
import * as rooms from './rooms.ts';

/**
 * The embedded store: one SQLite file in WAL mode. node:sqlite is synchronous, so each method runs
 * to completion without interleaving; the async signatures are the contract a networked store needs.
 * The hot writes (batches of sends, buffered acks) commit without an fsync on the event loop and
 * resolve after one in libuv's thread pool (wal-sync.ts), shared by every batch committed meanwhile.
 */
export class SqliteStore implements Store {
  readonly #db: Db;
  readonly appendsOrderAtCall = true;

  readonly #checkpointer: Checkpointer;

  /** `restartFrames`: tests only, the WAL length that starts a catch-up (checkpoint-thread.ts). */
  constructor(dataDir: string, synchronous: 'full' | 'normal' = 'full', restartFrames?: number) {
    this.#db = new Db(dataDir, synchronous);
    // Checkpoints run on their own thread (checkpoint-thread.ts), not inside a COMMIT on the event loop.
    this.#db.raw.exec('PRAGMA wal_autocheckpoint = 0');
    this.#checkpointer = new Checkpointer(this.#db.path, {
      onFailure: (error) => {
        if (!this.#db.raw.isOpen) return;
        this.#db.raw.exec('PRAGMA wal_autocheckpoint = 1000');
        process.emitWarning(`SQLite checkpoint thread stopped (${error instanceof Error ? error.message : String(error)}): checkpoints run on the event loop again`);
      },
      hold: () => this.#db.hold(),
      release: () => this.#db.release(),
    }, restartFrames);
  }

  async createAccount(account: AccountRecord, inviteTokenHash: Uint8Array | null) {
    return accounts.createAccount(this.#db, account, inviteTokenHash);
  }
  async getAccount(username: string) {
    return accounts.getAccount(this.#db, username);
  }
  async createInviteToken(tokenHash: Uint8Array, createdBy: string, ts: number) {
    this.#db.run('INSERT INTO invite_tokens (token_hash, created_by, created_at) VALUES (?, ?, ?)', tokenHash, createdBy, ts);
  }
  async createDeviceAndSession(device: DeviceRecord, session: SessionRecord) {
    accounts.createDeviceAndSession(this.#db, device, session);
  }
  async getSession(tokenHash: Uint8Array) {
    return accounts.getSession(this.#db, tokenHash);
  }
  async deleteSession(tokenHash: Uint8Array) {
    this.#db.run('DELETE FROM sessions WHERE token_hash = ?', tokenHash);
  }
  async getDevice(deviceId: string) {
    const r = this.#db.get('SELECT * FROM devices WHERE device_id = ?', deviceId);
    return r ? accounts.deviceFromRow(r) : undefined;
  }
  async listActiveDevices(username: string) {
    return this.#db
      .all('SELECT * FROM devices WHERE username = ? AND activated_at IS NOT NULL AND revoked_at IS NULL ORDER BY created_at, device_id', username)
      .map(accounts.deviceFromRow);
  }
  async activateDevice(deviceId: string, signatureKey: string, credentialSignature: string, ts: number) {
    return accounts.activateDevice(this.#db, deviceId, signatureKey, credentialSignature, ts);
  }
  async revokeDevice(username: string, deviceId: string, ts: number) {
    return accounts.revokeDevice(this.#db, username, deviceId, ts);
  }
  async touchDevice(deviceId: string, ts: number) {
    this.#db.run('UPDATE devices SET last_seen_at = ? WHERE device_id = ?', ts, deviceId);
  }
  async addKeyPackages(deviceId: string, keyPackages: readonly string[], lastResort: string | null, max: number) {
    return accounts.addKeyPackages(this.#db, deviceId, keyPackages, lastResort, max);
  }
  async countKeyPackages(deviceId: string) {
    return accounts.countKeyPackages(this.#db, deviceId);
  }
  async claimKeyPackages(deviceIds: readonly string[]) {
    return accounts.claimKeyPackages(this.#db, deviceIds);
  }
  async createGroup(groupId: string, creator: DeviceRef, ts: number) {
    return groups.createGroup(this.#db, groupId, creator, ts);
  }
  async applyCommit(input: CommitInput) {
    return groups.applyCommit(this.#db, input);
  }
  async appendMessage(input: MessageInput) {
    return (await this.appendMessages([input]))[0]!;
  }
  async appendMessages(inputs: readonly MessageInput[]) {
    const held = this.#db.writable();
    if (held) await held;
    const outcomes = groups.appendMessages(this.#db, inputs);
    await this.#db.durable();
    return outcomes;
  }
  async checkSend(groupId: string, deviceId: string, epoch: number) {
    return groups.checkSend(this.#db, groupId, deviceId, epoch);
  }
  async redact(groupId: string, sender: DeviceRef, msgId: string, ts: number) {
    return groups.redact(this.#db, groupId, sender, msgId, ts);
  }
  async getGroupInfo(groupId: string, deviceId: string) {
    return groups.getGroupInfo(this.#db, groupId, deviceId);
  }
  async listCursors(deviceId: string) {
    return groups.listCursors(this.#db, deviceId);
  }
  async readLog(groupId: string, afterSeq: number, uptoSeq: number | null, limit: number, now: number) {
    return readLog(this.#db, groupId, afterSeq, uptoSeq, limit, now);
  }
  async ack(groupId: string, deviceId: string, seq: number) {
    return groups.ack(this.#db, groupId, deviceId, seq);
  }
  async saveAcks(acks: readonly AckInput[], lastSeen: readonly LastSeenInput[]) {
    const held = this.#db.writable();
    if (held) await held;
    groups.saveAcks(this.#db, acks, lastSeen);
    await this.#db.durable();
  }
  async deleteExpiredMessages(now: number) {
    return deleteUntilShort(() => this.#sweepWrite(() => groups.deleteExpiredChunk(this.#db, now, SWEEP_CHUNK_ROWS)));
  }
  async collectGarbage(cutoffTs: number) {
    let n = 0;
    for (const r of await this.#sweepWrite(() => groups.garbageRanges(this.#db, cutoffTs))) {
      for (const [from, upTo] of seqChunks(r.from, r.upTo)) n += await this.#sweepWrite(() => groups.deleteRange(this.#db, r.gno, from, upTo));
    }
    await this.#sweepWrite(() => groups.deletePassedMemberships(this.#db));
    return n;
  }
  /**
   * One short step of a sweep: after the writes waiting in this turn (and any WAL restart hold),
   * so a sweep over a large log never holds the event loop for long. Durable like the hot writes.
   */
  async #sweepWrite<T>(step: () => T): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    const held = this.#db.writable();
    if (held) await held;
    const result = step();
    await this.#db.durable();
    return result;
  }
  async deleteExpiredSessions(now: number) {
    return this.#db.run('DELETE FROM sessions WHERE expires_at <= ?', now);
  }
  async createDeviceLink(link: DeviceLinkRecord) {
    return links.createDeviceLink(this.#db, link);
  }
  async getDeviceLink(linkId: string, now: number) {
    return links.getDeviceLink(this.#db, linkId, now);
  }
  async joinDeviceLink(linkId: string, device: DeviceRecord, session: SessionRecord, now: number) {
    return links.joinDeviceLink(this.#db, linkId, device, session, now);
  }
  async appendLinkMessage(linkId: string, from: 'creator' | 'joiner', payload: string, ts: number) {
    return links.appendLinkMessage(this.#db, linkId, from, payload, ts);
  }
  async readLinkMessages(linkId: string) {
    return links.readLinkMessages(this.#db, linkId);
  }
  async deleteExpiredLinks(now: number) {
    return links.deleteExpiredLinks(this.#db, now);
  }
  async createRoom(room: RoomRecord) {
    return rooms.createRoom(this.#db, room);
  }
  async getRoom(roomId: string, now: number) {
    return rooms.getRoom(this.#db, roomId, now);
  }
  async touchRoom(roomId: string, expiresAt: number) {
    await rooms.touchRoom(this.#db, roomId, expiresAt);
  }
  async deleteExpiredRooms(now: number) {
    return rooms.deleteExpiredRooms(this.#db, now);
  }
  async healthy() {
    return this.#db.get('SELECT 1 AS ok')?.ok === 1;
  }
  async close() {
    // A WAL sync still running finishes on an open file (its callers are waiting for it).
    await this.#db.durable().catch(() => undefined);
    await this.#checkpointer.close();
    this.#db.close();
  }
}
