import type { Store } from '../store.ts';
import type {
  AccountRecord, AckInput, CommitInput, DeviceLinkRecord, DeviceRecord, DeviceRef, LastSeenInput, MessageInput, RoomRecord, SessionRecord,
} from '../types.ts';
import { PgDb, type PgOptions } from './pg-db.ts';
import * as accounts from './pg-accounts.ts';
import * as groups from './pg-groups.ts';
import { readLog } from './pg-log.ts';
import * as links from './pg-links.ts';
import * as rooms from './pg-rooms.ts';

/**
 * The store for several server nodes: PostgreSQL through a pg pool. Every method is one
 * transaction (or one statement). Ordering a group is the group row's lock: appends, commits and
 * redactions take it FOR UPDATE, so per-group seqs are gap-free whichever node appends, and the
 * epoch check and the append are atomic. Use PostgresStore.open, which migrates first.
 */
export class PostgresStore implements Store {
  readonly #db: PgDb;

  private constructor(db: PgDb) {
    this.#db = db;
  }

  /** Connects, applies pending migrations (one node at a time) and returns the store. */
  static async open(options: PgOptions): Promise<PostgresStore> {
    const db = new PgDb(options);
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
    return new PostgresStore(db);
  }

  async createAccount(account: AccountRecord, inviteTokenHash: Uint8Array | null) {
    return accounts.createAccount(this.#db, account, inviteTokenHash);
  }
  async getAccount(username: string) {
    return accounts.getAccount(this.#db.sql, username);
  }
  async createInviteToken(tokenHash: Uint8Array, createdBy: string, ts: number) {
    await this.#db.sql.run('INSERT INTO invite_tokens (token_hash, created_by, created_at) VALUES ($1, $2, $3)', [tokenHash, createdBy, ts]);
  }
  async createDeviceAndSession(device: DeviceRecord, session: SessionRecord) {
    await accounts.createDeviceAndSession(this.#db, device, session);
  }
  async getSession(tokenHash: Uint8Array) {
    return accounts.getSession(this.#db.sql, tokenHash);
  }
  async deleteSession(tokenHash: Uint8Array) {
    await this.#db.sql.run('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }
  async getDevice(deviceId: string) {
    const r = await this.#db.sql.one('SELECT * FROM devices WHERE device_id = $1', [deviceId]);
    return r ? accounts.deviceFromRow(r) : undefined;
  }
  async listActiveDevices(username: string) {
    const rows = await this.#db.sql.rows(
      'SELECT * FROM devices WHERE username = $1 AND activated_at IS NOT NULL AND revoked_at IS NULL ORDER BY created_at, device_id COLLATE "C"',
      [username],
    );
    return rows.map(accounts.deviceFromRow);
  }
  async activateDevice(deviceId: string, signatureKey: string, credentialSignature: string, ts: number) {
    return accounts.activateDevice(this.#db, deviceId, signatureKey, credentialSignature, ts);
  }
  async revokeDevice(username: string, deviceId: string, ts: number) {
    return accounts.revokeDevice(this.#db, username, deviceId, ts);
  }
  async touchDevice(deviceId: string, ts: number) {
    await this.#db.sql.run('UPDATE devices SET last_seen_at = $1 WHERE device_id = $2', [ts, deviceId]);
  }
  async addKeyPackages(deviceId: string, keyPackages: readonly string[], lastResort: string | null, max: number) {
    return accounts.addKeyPackages(this.#db, deviceId, keyPackages, lastResort, max);
  }
  async countKeyPackages(deviceId: string) {
    return accounts.countKeyPackages(this.#db.sql, deviceId);
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
    return groups.appendMessage(this.#db, input);
  }
  async appendMessages(inputs: readonly MessageInput[]) {
    return groups.appendMessages(this.#db, inputs);
  }
  async checkSend(groupId: string, deviceId: string, epoch: number) {
    return groups.checkSend(this.#db.sql, groupId, deviceId, epoch);
  }
  async redact(groupId: string, sender: DeviceRef, msgId: string, ts: number) {
    return groups.redact(this.#db, groupId, sender, msgId, ts);
  }
  async getGroupInfo(groupId: string, deviceId: string) {
    return groups.getGroupInfo(this.#db.sql, groupId, deviceId);
  }
  async listCursors(deviceId: string) {
    return groups.listCursors(this.#db.sql, deviceId);
  }
  async readLog(groupId: string, afterSeq: number, uptoSeq: number | null, limit: number, now: number) {
    return readLog(this.#db.sql, groupId, afterSeq, uptoSeq, limit, now);
  }
  async ack(groupId: string, deviceId: string, seq: number) {
    return groups.ack(this.#db.sql, groupId, deviceId, seq);
  }
  async saveAcks(acks: readonly AckInput[], lastSeen: readonly LastSeenInput[]) {
    return groups.saveAcks(this.#db, acks, lastSeen);
  }
  async deleteExpiredMessages(now: number) {
    return groups.deleteExpiredMessages(this.#db, now);
  }
  async collectGarbage(cutoffTs: number) {
    return groups.collectGarbage(this.#db, cutoffTs);
  }
  async deleteExpiredSessions(now: number) {
    return this.#db.sql.run('DELETE FROM sessions WHERE expires_at <= $1', [now]);
  }
  async createDeviceLink(link: DeviceLinkRecord) {
    return links.createDeviceLink(this.#db.sql, link);
  }
  async getDeviceLink(linkId: string, now: number) {
    return links.getDeviceLink(this.#db.sql, linkId, now);
  }
  async joinDeviceLink(linkId: string, device: DeviceRecord, session: SessionRecord, now: number) {
    return links.joinDeviceLink(this.#db, linkId, device, session, now);
  }
  async appendLinkMessage(linkId: string, from: 'creator' | 'joiner', payload: string, ts: number) {
    return links.appendLinkMessage(this.#db, linkId, from, payload, ts);
  }
  async readLinkMessages(linkId: string) {
    return links.readLinkMessages(this.#db.sql, linkId);
  }
  async deleteExpiredLinks(now: number) {
    return links.deleteExpiredLinks(this.#db, now);
  }
  async createRoom(room: RoomRecord) {
    return rooms.createRoom(this.#db.sql, room);
  }
  async getRoom(roomId: string, now: number) {
    return rooms.getRoom(this.#db.sql, roomId, now);
  }
  async touchRoom(roomId: string, expiresAt: number) {
    await rooms.touchRoom(this.#db.sql, roomId, expiresAt);
  }
  async deleteExpiredRooms(now: number) {
    return rooms.deleteExpiredRooms(this.#db.sql, now);
  }
  async healthy() {
    try {
      return (await this.#db.sql.one('SELECT 1 AS ok'))?.ok === 1;
    } catch {
      return false;
    }
  }
  async close() {
    await this.#db.close();
  }
}
