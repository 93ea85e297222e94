import { encodeFrame, userIdOf, type EventFrame } from '@charla/protocol';
import type { BusListener, ControlEvent, GroupEvent } from '../bus/bus.ts';
import type { LogEntry, MembershipCursor } from '../store/types.ts';
import type { ServiceContext } from './context.ts';
import type { AckBuffer } from './ack-buffer.ts';

/** The delivery layer's view of one WebSocket. */
export interface DeliveryTarget {
  readonly deviceId: string;
  send(data: Uint8Array, binary: boolean, type: string): void;
  close(code: number, reason: string): void;
  bufferedAmount(): number;
}

interface Prepared {
  readonly groupId: string;
  readonly seq: number;
  readonly expiresAt: number | null;
  /** Encoded once; a text frame's UTF-8 or a binary frame's bytes. */
  readonly data: Uint8Array;
  readonly binary: boolean;
}

interface ConnState {
  readonly target: DeliveryTarget;
  syncing: boolean;
  closed: boolean;
  queue: Prepared[];
  readonly groups: Set<string>;
  /** Highest seq pushed per group: live and backlog meet here without gaps or duplicates. */
  readonly delivered: Map<string, number>;
  /** Groups whose hole is being filled from the store; live events wait in `pending` meanwhile. */
  readonly fills: Map<string, Fill>;
  /** The bus asked for a resync while the backlog was streaming: do it once `synced` is out. */
  resyncAfterSync: boolean;
}

interface Fill {
  pending: Prepared[];
  /** Read to the end of the device's membership, not just up to the highest pending seq. */
  tail: boolean;
}

const PAGE = 256;
const HIGH_WATER = 1 << 20;

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}

/**
 * Each node's fan-out. A device's mailbox is its cursors over its groups' logs ([DEL-2]): on
 * connect it gets every entry after its acked cursor, then `synced`, then live events ([DEL-4]).
 * A live event is serialised once and the same bytes go to every local recipient ([DEL-6]).
 */
export class DeliveryHub implements BusListener {
  readonly #ctx: ServiceContext;
  readonly #acks: AckBuffer;
  readonly #byDevice = new Map<string, Set<ConnState>>();
  readonly #byGroup = new Map<string, Set<ConnState>>();
  readonly #states = new Map<DeliveryTarget, ConnState>();

  constructor(ctx: ServiceContext, acks: AckBuffer) {
    this.#ctx = ctx;
    this.#acks = acks;
  }

  get connectionCount(): number {
    return this.#states.size;
  }

  hasDevice(deviceId: string): boolean {
    return this.#byDevice.has(deviceId);
  }

  /** Whether a connection of the device here was sent the group's entries up to `seq` (so it may ack them). */
  delivered(deviceId: string, groupId: string, seq: number): boolean {
    for (const st of this.#byDevice.get(deviceId) ?? []) if ((st.delivered.get(groupId) ?? -1) >= seq) return true;
    return false;
  }

  /** The device's cursors: stored, moved up to the acks this node holds but has not written yet. */
  async #cursors(deviceId: string): Promise<MembershipCursor[]> {
    const held = this.#acks.snapshot(deviceId);
    return this.#acks.overlay(held, await this.#ctx.store.listCursors(deviceId));
  }

  eventFrame(e: LogEntry, ephemeral: boolean): Prepared {
    const { serverName } = this.#ctx.config;
    const header: EventFrame = {
      t: 'ev', groupId: e.groupId, seq: e.seq, kind: e.kind,
      sender: e.sender === null ? null : { userId: userIdOf(e.sender.username, serverName), deviceId: e.sender.deviceId },
      epoch: e.epoch, ts: e.ts,
    };
    if (e.msgId !== null) header.msgId = e.msgId;
    if (e.expiresAt !== null) header.expiresAt = e.expiresAt;
    if (e.subjectUsername !== null) header.userId = userIdOf(e.subjectUsername, serverName);
    if (e.target !== null) header.target = e.target;
    if (ephemeral) header.ephemeral = true;
    // Bodiless events travel as text frames, the others as binary ([WS-2]).
    const binary = e.body !== null;
    const data = binary ? encodeFrame(header, e.body ?? undefined) : Buffer.from(JSON.stringify(header));
    return { groupId: e.groupId, seq: e.seq, expiresAt: e.expiresAt, data, binary };
  }

  /** Pushes the backlog of every group of the device, then `synced`; live events queue meanwhile. */
  async attach(target: DeliveryTarget): Promise<void> {
    const st: ConnState = {
      target, syncing: true, closed: false, queue: [], groups: new Set(), delivered: new Map(), fills: new Map(), resyncAfterSync: false,
    };
    this.#states.set(target, st);
    // Registered before reading, so anything appended from now on is either in the backlog read
    // below or in the queue; `delivered` drops what is in both, and a hole between them (an event
    // of another node that was stored before but arrives later) is filled from the store.
    addTo(this.#byDevice, target.deviceId, st);
    const cursors = await this.#cursors(target.deviceId);
    for (const c of cursors) if (c.toSeq === null) this.#join(st, c.groupId);
    for (const c of cursors) {
      const after = Math.max(c.ackedSeq, c.fromSeq - 1, st.delivered.get(c.groupId) ?? 0);
      if (!(await this.#stream(st, c.groupId, after, c.toSeq))) return;
    }
    if (st.closed) return;
    st.syncing = false;
    const queued = st.queue;
    st.queue = [];
    for (const p of queued) this.#deliverLive(st, p);
    target.send(Buffer.from(JSON.stringify({ t: 'synced' })), false, 'synced');
    if (st.resyncAfterSync) await this.#resync(st);
  }

  detach(target: DeliveryTarget): void {
    const st = this.#states.get(target);
    if (!st) return;
    st.closed = true;
    this.#states.delete(target);
    removeFrom(this.#byDevice, target.deviceId, st);
    for (const groupId of st.groups) removeFrom(this.#byGroup, groupId, st);
    st.groups.clear();
    st.fills.clear();
  }

  onGroupEvent(groupId: string, event: GroupEvent): void {
    const e = event.entry;
    const prepared = this.eventFrame(e, event.ephemeral === true);
    if (e.recipients !== null) {
      // [GRP-4] A welcome goes only to the devices it adds; their membership (and live feed) starts here.
      for (const deviceId of e.recipients) {
        for (const st of this.#byDevice.get(deviceId) ?? []) {
          this.#join(st, groupId);
          if ((st.delivered.get(groupId) ?? 0) < e.seq - 1) st.delivered.set(groupId, e.seq - 1);
          this.#deliverLive(st, prepared);
        }
      }
      // The other members never get it: step over its seq so the next event is not taken for a hole.
      const recipients = new Set(e.recipients);
      for (const st of this.#byGroup.get(groupId) ?? []) {
        if (!recipients.has(st.target.deviceId) && !st.syncing && !st.fills.has(groupId) && st.delivered.get(groupId) === e.seq - 1) {
          st.delivered.set(groupId, e.seq);
        }
      }
      return;
    }
    const members = this.#byGroup.get(groupId);
    if (!members) return;
    if (event.replay) {
      for (const st of members) {
        if (st.syncing) st.queue.push(prepared);
        else if ((st.delivered.get(groupId) ?? 0) < e.seq) this.#requestFill(st, groupId, prepared);
      }
      return;
    }
    for (const st of members) this.#deliverLive(st, prepared);
    // [GRP-5] The removed devices get the commit that removes them, and nothing after it.
    for (const deviceId of event.removed ?? []) {
      for (const st of this.#byDevice.get(deviceId) ?? []) this.#leave(st, groupId);
    }
  }

  onControl(event: ControlEvent): void {
    if (event.type === 'joined') {
      // Events of the group may have come (from other nodes) before this: read them from the store.
      for (const st of this.#byDevice.get(event.deviceId) ?? []) {
        this.#join(st, event.groupId);
        if (st.syncing) st.resyncAfterSync = true;
        else this.#requestFill(st, event.groupId, null);
      }
      return;
    }
    for (const st of [...(this.#byDevice.get(event.deviceId) ?? [])]) {
      this.detach(st.target);
      st.target.close(4403, 'DEVICE_REVOKED');
    }
  }

  /** The bus may have dropped events: every connection re-reads its groups from the store. */
  onResync(): void {
    for (const st of this.#states.values()) {
      if (st.syncing) st.resyncAfterSync = true;
      else void this.#resync(st);
    }
  }

  /** Closes every connection (shutdown). */
  closeAll(code: number, reason: string): void {
    for (const st of [...this.#states.values()]) {
      this.detach(st.target);
      st.target.close(code, reason);
    }
  }

  #join(st: ConnState, groupId: string): void {
    addTo(this.#byGroup, groupId, st);
    st.groups.add(groupId);
  }

  #leave(st: ConnState, groupId: string): void {
    removeFrom(this.#byGroup, groupId, st);
    st.groups.delete(groupId);
  }

  /**
   * Pushes the log of one group after `after` (up to `upto`) to the connection, pacing on the
   * socket's buffer. Returns false if the connection closed meanwhile.
   */
  async #stream(st: ConnState, groupId: string, after: number, upto: number | null): Promise<boolean> {
    for (;;) {
      if (st.closed) return false;
      const entries = await this.#ctx.store.readLog(groupId, after, upto, PAGE, this.#ctx.now());
      for (const e of entries) {
        if (e.recipients !== null && !e.recipients.includes(st.target.deviceId)) {
          // Not for this device (another one's welcome): passed over like a delivered entry.
          if ((st.delivered.get(groupId) ?? 0) < e.seq) st.delivered.set(groupId, e.seq);
          continue;
        }
        this.#push(st, this.eventFrame(e, false));
      }
      if (entries.length < PAGE) return !st.closed;
      after = entries[entries.length - 1]!.seq;
      while (st.target.bufferedAmount() > HIGH_WATER && !st.closed) await new Promise((r) => setTimeout(r, 5));
    }
  }

  #deliverLive(st: ConnState, p: Prepared): void {
    if (st.syncing) {
      st.queue.push(p);
      return;
    }
    if (p.seq === 0) return this.#push(st, p);
    const fill = st.fills.get(p.groupId);
    if (fill) {
      fill.pending.push(p);
      return;
    }
    const last = st.delivered.get(p.groupId) ?? 0;
    if (p.seq <= last) return;
    if (p.seq === last + 1) return this.#push(st, p);
    // Seq last+1 … p.seq-1 were stored before p (a group's seqs are allocated in order) but their
    // events have not come: another node published them and its bus message is late or lost.
    this.#requestFill(st, p.groupId, p);
  }

  /** Queues `p` (or a read to the end, for p = null) behind a fill of the group's hole from the store. */
  #requestFill(st: ConnState, groupId: string, p: Prepared | null): void {
    let fill = st.fills.get(groupId);
    if (fill) {
      if (p) fill.pending.push(p);
      else fill.tail = true;
      return;
    }
    fill = { pending: p ? [p] : [], tail: p === null };
    st.fills.set(groupId, fill);
    this.#fill(st, groupId, fill).catch((error: unknown) => {
      // The connection restarts from its acked cursor: nothing is lost, nothing skipped.
      this.#ctx.logger.error({ err: error, deviceId: st.target.deviceId, groupId }, 'filling a delivery gap failed: closing');
      this.detach(st.target);
      st.target.close(1011, 'INTERNAL');
    });
  }

  async #fill(st: ConnState, groupId: string, fill: Fill): Promise<void> {
    try {
      while (!st.closed && (fill.pending.length > 0 || fill.tail)) {
        const tail = fill.tail;
        fill.tail = false;
        this.#ctx.metrics.deliveryFills.inc({ reason: tail ? 'tail' : 'gap' });
        // Bounded by the device's membership, so a removed device gets nothing after its removal
        // even if a later event reached this node before the commit that removed it.
        const cursor = (await this.#cursors(st.target.deviceId)).filter((c) => c.groupId === groupId).at(-1);
        if (!cursor) {
          this.#leave(st, groupId);
          return;
        }
        const end = cursor.toSeq ?? Number.MAX_SAFE_INTEGER;
        const highest = Math.min(end, Math.max(0, ...fill.pending.map((x) => x.seq)));
        const after = Math.max(st.delivered.get(groupId) ?? 0, cursor.fromSeq - 1);
        if (!(await this.#stream(st, groupId, after, tail ? cursor.toSeq : highest))) return;
        // Everything up to `complete` is now known (read from the store); later events that came
        // in meanwhile may have a hole before them again and wait for the next round.
        const complete = Math.max(highest, st.delivered.get(groupId) ?? 0);
        const ready = fill.pending.filter((x) => x.seq <= complete).sort((a, b) => a.seq - b.seq);
        fill.pending = fill.pending.filter((x) => x.seq > complete && x.seq <= end);
        for (const x of ready) this.#push(st, x);
        if (cursor.toSeq !== null) {
          this.#leave(st, groupId);
          fill.pending = [];
        }
      }
    } finally {
      if (st.fills.get(groupId) === fill) st.fills.delete(groupId);
    }
  }

  /** After the bus lost events: rejoin every current group and read each to its end. */
  async #resync(st: ConnState): Promise<void> {
    st.resyncAfterSync = false;
    try {
      for (const c of await this.#cursors(st.target.deviceId)) {
        if (c.toSeq !== null || st.closed) continue;
        this.#join(st, c.groupId);
        this.#requestFill(st, c.groupId, null);
      }
    } catch (error) {
      this.#ctx.logger.error({ err: error, deviceId: st.target.deviceId }, 'resync failed: closing');
      this.detach(st.target);
      st.target.close(1011, 'INTERNAL');
    }
  }

  #push(st: ConnState, p: Prepared): void {
    if (p.seq !== 0) {
      if ((st.delivered.get(p.groupId) ?? 0) >= p.seq) return;
      st.delivered.set(p.groupId, p.seq);
    }
    // [SEND-5] An expired message is never delivered, even before the sweeper deletes it.
    if (p.expiresAt !== null && p.expiresAt <= this.#ctx.now()) return;
    st.target.send(p.data, p.binary, 'ev');
  }
}
