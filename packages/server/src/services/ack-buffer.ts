import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { AckInput, LastSeenInput, MembershipCursor } from '../store/types.ts';

/** How often buffered acks are written: what a crash can lose (and so redeliver), at most. */
export const ACK_FLUSH_INTERVAL_MS = 200;

type Acks = Map<string, Map<string, number>>;

function raise(into: Acks, deviceId: string, groupId: string, seq: number): void {
  let groups = into.get(deviceId);
  if (!groups) into.set(deviceId, (groups = new Map()));
  if ((groups.get(groupId) ?? -1) < seq) groups.set(groupId, seq);
}

/**
 * Acked cursors in memory, written in one transaction every ACK_FLUSH_INTERVAL_MS, when a device's
 * connection closes, before a revocation and at shutdown ([DEL-2]). A durable write per ack was
 * most of the server's time in a group (every member acks every message). Losing the last
 * interval in a crash only means those entries are delivered again, which [DEL-5] allows and
 * clients deduplicate; until then the delivery layer reads cursors through `overlay`, so this node
 * never redelivers what it holds an ack for. Last-seen times of authenticating devices ride along.
 */
export class AckBuffer {
  readonly #store: Store;
  readonly #logger: Logger;
  #pending: Acks = new Map();
  /** Being written now: still part of what overlay() reports. */
  #writing: Acks = new Map();
  #seen = new Map<string, number>();
  #running: Promise<void> | undefined;
  #again = false;
  readonly #timer: NodeJS.Timeout;

  constructor(store: Store, logger: Logger, intervalMs = ACK_FLUSH_INTERVAL_MS) {
    this.#store = store;
    this.#logger = logger;
    this.#timer = setInterval(() => {
      if (this.#pending.size > 0 || this.#seen.size > 0) void this.flush();
    }, intervalMs);
    this.#timer.unref();
  }

  /** A cumulative ack the caller checked (the device was delivered this seq); written later. */
  record(deviceId: string, groupId: string, seq: number): void {
    raise(this.#pending, deviceId, groupId, seq);
  }

  seen(deviceId: string, ts: number): void {
    this.#seen.set(deviceId, Math.max(ts, this.#seen.get(deviceId) ?? 0));
  }

  lastSeen(deviceId: string): number | undefined {
    return this.#seen.get(deviceId);
  }

  /** The acks held for the device now (taken before reading its stored cursors, so none slips between). */
  snapshot(deviceId: string): ReadonlyMap<string, number> | undefined {
    const a = this.#pending.get(deviceId);
    const b = this.#writing.get(deviceId);
    if (!a || !b) return a ?? b;
    const both = new Map(b);
    for (const [groupId, seq] of a) if ((both.get(groupId) ?? -1) < seq) both.set(groupId, seq);
    return both;
  }

  /** Stored cursors moved up to held acks, clamped to each membership's end as the store would. */
  overlay(held: ReadonlyMap<string, number> | undefined, cursors: MembershipCursor[]): MembershipCursor[] {
    if (!held) return cursors;
    return cursors.map((c) => {
      const seq = held.get(c.groupId) ?? 0;
      const acked = Math.min(seq, c.toSeq ?? seq);
      return acked > c.ackedSeq ? { ...c, ackedSeq: acked } : c;
    });
  }

  /** Writes what is buffered. Concurrent calls share one write and ask for one more after it. */
  flush(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#write().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.flush();
      }
    });
    return this.#running;
  }

  /** Stops the timer and writes what is left (server shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#running) await this.#running;
    await this.#write();
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0 && this.#seen.size === 0) return;
    this.#writing = this.#pending;
    this.#pending = new Map();
    const seen = this.#seen;
    this.#seen = new Map();
    const acks: AckInput[] = [];
    for (const [deviceId, groups] of this.#writing) for (const [groupId, seq] of groups) acks.push({ groupId, deviceId, seq });
    const lastSeen: LastSeenInput[] = [...seen].map(([deviceId, ts]) => ({ deviceId, ts }));
    try {
      await this.#store.saveAcks(acks, lastSeen);
    } catch (error) {
      // Kept for the next attempt; meanwhile overlay() still reports them.
      this.#logger.error({ err: error, acks: acks.length }, 'writing acks failed: retrying with the next flush');
      for (const a of acks) raise(this.#pending, a.deviceId, a.groupId, a.seq);
      for (const s of lastSeen) this.seen(s.deviceId, s.ts);
    } finally {
      this.#writing = new Map();
    }
  }
}
