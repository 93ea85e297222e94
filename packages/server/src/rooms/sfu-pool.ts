import { createSfu, type DisconnectReason, type Sfu, type SfuEvents } from '@charla/sfu';
import type { RoomsConfig } from '../config/load.ts';

/** What the pool tells the rooms about: speakers and lost media connections, by room. */
export interface SfuPoolListener {
  onSpeakers(roomId: string, participantIds: string[]): void;
  onDisconnected(roomId: string, participantId: string, reason: DisconnectReason): void;
  onNegotiationError(participantId: string, error: unknown): void;
}

/** One SFU the pool may assign rooms to: the in-process one or a remote `charla sfu` process. */
export interface PooledSfu {
  /** For logs: `local`, or the remote's address. */
  readonly name: string;
  readonly sfu: Sfu;
}

/**
 * Assigns each room to one SFU for as long as the room is live: a new room goes to the least
 * loaded SFU (fewest forwarded streams, then fewest participants), and every participant of the
 * room joins that SFU, since forwarding happens inside one SFU. Remote SFUs (a client implementing
 * the same `Sfu` interface over a control connection) are added with `add`; the in-process one is
 * created from the config. With no SFU at all, rooms carry signalling and chat only.
 */
export class SfuPool {
  readonly #sfus: PooledSfu[] = [];
  readonly #assigned = new Map<string, PooledSfu>();
  #listener: SfuPoolListener | undefined;

  static fromConfig(config: RoomsConfig): SfuPool {
    const pool = new SfuPool();
    if (config.localSfu) {
      pool.add('local', (events) =>
        createSfu({
          ...events,
          iceAdditionalHostAddresses: config.sfuAnnouncedAddresses.length > 0 ? [...config.sfuAnnouncedAddresses] : undefined,
          interfaceAddresses: config.sfuInterface === null ? undefined : { udp4: config.sfuInterface },
        }),
      );
    }
    return pool;
  }

  setListener(listener: SfuPoolListener): void {
    this.#listener = listener;
  }

  /**
   * Adds an SFU, created with the events it must report: they reach the listener, and losing the
   * SFU ('sfu-lost') frees its rooms for reassignment.
   */
  add(name: string, create: (events: Required<SfuEvents>) => Sfu): PooledSfu {
    const pooled: { name: string; sfu: Sfu | undefined } = { name, sfu: undefined };
    const events: Required<SfuEvents> = {
      onSpeakers: (roomId, ids) => this.#listener?.onSpeakers(roomId, ids),
      onDisconnected: (roomId, id, reason) => {
        if (reason === 'sfu-lost' && this.#assigned.get(roomId) === pooled) this.#assigned.delete(roomId);
        this.#listener?.onDisconnected(roomId, id, reason);
      },
      onNegotiationError: (id, error) => this.#listener?.onNegotiationError(id, error),
    };
    pooled.sfu = create(events);
    const entry = pooled as PooledSfu;
    this.#sfus.push(entry);
    return entry;
  }

  get size(): number {
    return this.#sfus.length;
  }

  /** The room's SFU, assigning one if the room has none; undefined when the pool is empty. */
  assign(roomId: string): PooledSfu | undefined {
    const current = this.#assigned.get(roomId);
    if (current) return current;
    let best: { sfu: PooledSfu; streams: number; participants: number } | undefined;
    for (const sfu of this.#sfus) {
      const load = sfu.sfu.load();
      if (!best || load.forwardedStreams < best.streams || (load.forwardedStreams === best.streams && load.participants < best.participants)) {
        best = { sfu, streams: load.forwardedStreams, participants: load.participants };
      }
    }
    if (best) this.#assigned.set(roomId, best.sfu);
    return best?.sfu;
  }

  /** The room ended on this node: its next participant may go to another SFU. */
  release(roomId: string): void {
    this.#assigned.delete(roomId);
  }

  async close(): Promise<void> {
    this.#assigned.clear();
    await Promise.all(this.#sfus.map((s) => s.sfu.close()));
  }
}
