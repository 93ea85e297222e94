import { userIdOf } from '@charla/protocol';
import { BadRequestError, CharlaError, EpochConflictError, ForbiddenError, NotAMemberError, UnknownGroupError } from '../errors.ts';
import type { GroupFailure, LogEntry } from '../store/types.ts';
import type { AuthContext, ServiceContext } from './context.ts';
import { sha256 } from './accounts.ts';
import type { AckBuffer } from './ack-buffer.ts';
import { AppendBatcher } from './append-batcher.ts';

function fail(f: GroupFailure | { error: 'NOT_FOUND' } | { error: 'FORBIDDEN' }): never {
  switch (f.error) {
    case 'UNKNOWN_GROUP': throw new UnknownGroupError();
    case 'NOT_A_MEMBER': throw new NotAMemberError();
    case 'EPOCH_CONFLICT': throw new EpochConflictError(f.epoch);
    case 'MESSAGE_ID_REUSED': throw new CharlaError('MESSAGE_ID_REUSED', 'this message id was used in this group with a different body');
    case 'INVALID_MEMBERSHIP': throw new CharlaError('INVALID_MEMBERSHIP', f.message);
    case 'NOT_FOUND': throw new CharlaError('NOT_FOUND', 'no such message in this group');
    case 'FORBIDDEN': throw new ForbiddenError('only the sender may redact a message');
  }
}

export interface CommitRequest {
  groupId: string;
  epoch: number;
  msgId: string;
  add: readonly string[];
  remove: readonly string[];
  commitBytes: number;
}

export interface SendRequest {
  groupId: string;
  epoch: number;
  msgId: string;
  expiresAt?: number | undefined;
  ephemeral?: boolean | undefined;
}

/**
 * The MLS Delivery Service: orders each group's handshake messages and stores application
 * messages once, in the group's log. It never looks inside a body.
 */
export interface GroupsDeps {
  readonly acks: AckBuffer;
  /** Whether a connection of this device on this node was sent the group's entries up to seq. */
  readonly delivered: (deviceId: string, groupId: string, seq: number) => boolean;
}

export class GroupsService {
  readonly #ctx: ServiceContext;
  readonly #deps: GroupsDeps;
  readonly #appends: AppendBatcher;

  constructor(ctx: ServiceContext, deps: GroupsDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#appends = new AppendBatcher(ctx.store, ctx.logger, (entry) => this.#publishOne(entry));
  }

  /** Appended entries go out once on the bus; every node's delivery layer fans them out. */
  async publishEntries(entries: readonly LogEntry[], removed?: readonly string[]): Promise<void> {
    for (const entry of entries) await this.#publishOne(entry, removed);
  }

  #publishOne(entry: LogEntry, removed?: readonly string[]): Promise<void> {
    this.#ctx.metrics.messagesStored.at(entry.kind).inc();
    return this.#ctx.bus.publish(entry.groupId, entry.kind === 'commit' && removed ? { entry, removed } : { entry });
  }

  /**
   * A retried send or commit: the node that stored it may have died before publishing it, so it
   * goes out again (as a replay: receivers deliver it through the store, and those that had it
   * drop it by seq). The welcome of a commit, stored right after it, goes out as it was.
   */
  async #republish(groupId: string, msgId: string, seq: number, upto: number): Promise<void> {
    const entries = await this.#ctx.store.readLog(groupId, seq - 1, upto, 2, this.#ctx.now());
    for (const entry of entries) {
      if (entry.msgId !== msgId) continue;
      await this.#ctx.bus.publish(groupId, entry.kind === 'welcome' ? { entry } : { entry, replay: true });
    }
  }

  /** [GRP-1] The creator's device is the only member, at epoch 0. */
  async createGroup(auth: AuthContext, groupId: string): Promise<{ epoch: 0 }> {
    if (!auth.active) throw new ForbiddenError('activate this device before joining groups');
    const r = await this.#ctx.store.createGroup(groupId, { username: auth.username, deviceId: auth.deviceId }, this.#ctx.now());
    if (r === 'GROUP_EXISTS') throw new CharlaError('GROUP_EXISTS', 'a group with this id already exists');
    await this.#ctx.bus.publishControl({ type: 'joined', groupId, deviceId: auth.deviceId });
    return { epoch: 0 };
  }

  /**
   * [GRP-2..5] A commit made in epoch N is accepted only while the group is at N. In one
   * transaction the group moves to N+1, the commit is appended (for every member, the removed
   * included), the welcome is appended for the added devices only, whose membership starts there.
   */
  async commit(auth: AuthContext, req: CommitRequest, body: Uint8Array) {
    const { limits } = this.#ctx.config;
    if (req.commitBytes > body.length) throw new BadRequestError('commitBytes is longer than the body');
    const commit = body.subarray(0, req.commitBytes);
    const welcome = body.length > req.commitBytes ? body.subarray(req.commitBytes) : null;
    if (req.add.length > 0 && welcome === null) throw new BadRequestError('a commit that adds devices must carry a welcome after the commit bytes');
    if (req.add.length === 0 && welcome !== null) throw new BadRequestError('a welcome is only allowed when the commit adds devices');
    if (commit.length > limits.maxMessageBytes || (welcome?.length ?? 0) > limits.maxMessageBytes) {
      throw new CharlaError('MESSAGE_TOO_LARGE', `an MLS message is larger than ${limits.maxMessageBytes} bytes`);
    }
    const r = await this.#ctx.store.applyCommit({
      groupId: req.groupId, sender: { username: auth.username, deviceId: auth.deviceId }, epoch: req.epoch, msgId: req.msgId,
      commit, welcome, bodyHash: sha256(body), add: req.add, remove: req.remove, maxGroupDevices: limits.maxGroupDevices, ts: this.#ctx.now(),
    });
    if (r.error !== undefined) fail(r);
    if (r.duplicate) {
      await this.#republish(req.groupId, req.msgId, r.seq, r.seq + 1);
      return { seq: r.seq, epoch: r.epoch, duplicate: true };
    }
    await this.publishEntries([r.commit], r.removed);
    if (r.welcome) await this.publishEntries([r.welcome]);
    return { seq: r.commit.seq, epoch: r.commit.epoch + 1 };
  }

  /** [SEND-1..5] */
  async send(auth: AuthContext, req: SendRequest, body: Uint8Array) {
    const { limits } = this.#ctx.config;
    if (body.length > limits.maxMessageBytes) throw new CharlaError('MESSAGE_TOO_LARGE', `an MLS message is larger than ${limits.maxMessageBytes} bytes`);
    const sender = { username: auth.username, deviceId: auth.deviceId };
    const ts = this.#ctx.now();
    if (req.ephemeral) {
      // [SEND-4] Ephemeral messages reach the devices online now and are never stored (seq 0).
      const r = await this.#ctx.store.checkSend(req.groupId, auth.deviceId, req.epoch);
      if (r.error !== undefined) fail(r);
      const entry: LogEntry = {
        groupId: req.groupId, seq: 0, kind: 'app', sender, msgId: req.msgId, epoch: req.epoch, ts, expiresAt: req.expiresAt ?? null,
        subjectUsername: null, target: null, recipients: null, body,
      };
      await this.#ctx.bus.publish(req.groupId, { entry, ephemeral: true });
      return { seq: 0, duplicate: false };
    }
    // Group commit: stored with the other sends of this turn, published before this resolves.
    const r = await this.#appends.append({
      groupId: req.groupId, sender, epoch: req.epoch, msgId: req.msgId, body, expiresAt: req.expiresAt ?? null, ts,
    });
    if (r.error !== undefined) fail(r);
    if (r.duplicate) {
      await this.#republish(req.groupId, req.msgId, r.seq, r.seq);
      return { seq: r.seq, duplicate: true };
    }
    return { seq: r.entry.seq, duplicate: false };
  }

  /** [SEND-6] Only the sending account may redact; the body is deleted and a 'redact' event appended. */
  async redact(auth: AuthContext, groupId: string, msgId: string) {
    const r = await this.#ctx.store.redact(groupId, { username: auth.username, deviceId: auth.deviceId }, msgId, this.#ctx.now());
    if (r.error !== undefined) fail(r);
    if (r.entry) await this.publishEntries([r.entry]);
    return { seq: r.seq, duplicate: r.duplicate };
  }

  async groupInfo(auth: AuthContext, groupId: string) {
    const r = await this.#ctx.store.getGroupInfo(groupId, auth.deviceId);
    if ('error' in r) fail(r);
    const serverName = this.#ctx.config.serverName;
    return { epoch: r.epoch, lastSeq: r.lastSeq, members: r.members.map((m) => ({ userId: userIdOf(m.username, serverName), deviceId: m.deviceId })) };
  }

  /**
   * [DEL-2] Acks are cumulative. An ack of what this node delivered to the device is known valid
   * (it was a member up to there) and is buffered (ack-buffer.ts); anything else is checked and
   * written by the store at once.
   */
  async ack(auth: AuthContext, groupId: string, seq: number): Promise<Record<string, never>> {
    if (this.ackBuffered(auth, groupId, seq)) return {};
    if (!(await this.#ctx.store.ack(groupId, auth.deviceId, seq))) throw new NotAMemberError();
    return {};
  }

  /** The fast path of `ack`: true if taken into the buffer, false if it needs the store's check. */
  ackBuffered(auth: AuthContext, groupId: string, seq: number): boolean {
    if (!this.#deps.delivered(auth.deviceId, groupId, seq)) return false;
    this.#deps.acks.record(auth.deviceId, groupId, seq);
    return true;
  }
}
