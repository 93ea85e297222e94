import type { Logger } from 'pino';
import type { DisconnectReason, Sfu, SfuEvents } from '@charla/sfu';
import { connectSfu, type RemoteSfu } from '@charla/sfu/remote';
import type { RoomsConfig } from '../config/load.ts';

/** What the pool tells the rooms about: speakers and lost media connections, by room. */
export interface SfuPoolListener {
  onSpeakers(roomId: string, participantIds: string[]): void;
  onDisconnected(roomId: string, participantId: string, reason: DisconnectReason): void;
  onNegotiationError(participantId: string, error: unknown): void;
}

/** One SFU the pool may assign rooms to: the in-process one or a remote `charla sfu` process. */
export interface PooledSfu {
  /** For logs: `local`, or the remote's control URL. */
  readonly name: string;
  readonly sfu: Sfu;
  /** Connected and not draining: may take new rooms. */
  usable(): boolean;
  /** Connected (perhaps draining): keeps the rooms it has. */
  alive(): boolean;
}

/** Reconnection delays to a lost remote SFU: doubling from the first to the last. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Assigns each room to one SFU for as long as the room is live: a new room goes to the least
 * loaded usable SFU (fewest forwarded streams, then fewest participants), and every participant
 * of the room joins that SFU, since forwarding happens inside one SFU. The in-process SFU and
 * remote `charla sfu` processes (connectSfu: the same `Sfu` interface over a control WebSocket)
 * are alike here. A remote that drops reports its participants lost ('sfu-lost'): its rooms are
 * unassigned, their participants get media on another SFU, and the pool reconnects in the
 * background. With no SFU at all, rooms carry signalling and chat only.
 */
export class SfuPool {
  readonly #sfus: PooledSfu[] = [];
  readonly #assigned = new Map<string, PooledSfu>();
  readonly #closers: (() => Promise<void>)[] = [];
  /** Starts (once) the lazy SFUs' creation; assign waits for them. */
  readonly #loads: (() => Promise<void>)[] = [];
  #listener: SfuPoolListener | undefined;
  #closed = false;

  static fromConfig(config: RoomsConfig, logger: Logger): SfuPool {
    const pool = new SfuPool();
    if (config.localSfu) {
      // werift is loaded when the first room needs media, not at start: a server that never hosts
      // a call (or a test) does not pay for it.
      pool.addLazy('local', async (events) => {
        const { createSfu } = await import('@charla/sfu');
        return createSfu({
          ...events,
          iceAdditionalHostAddresses: config.sfuAnnouncedAddresses.length > 0 ? [...config.sfuAnnouncedAddresses] : undefined,
          interfaceAddresses: config.sfuInterface === null ? undefined : { udp4: config.sfuInterface },
        });
      });
    }
    for (const url of config.sfuUrls) pool.addRemote(url, (events) => connectSfu(url, config.sfuSecret.reveal(), events), logger);
    return pool;
  }

  setListener(listener: SfuPoolListener): void {
    this.#listener = listener;
  }

  #events(pooled: () => PooledSfu | undefined): Required<SfuEvents> {
    return {
      onSpeakers: (roomId, ids) => this.#listener?.onSpeakers(roomId, ids),
      onDisconnected: (roomId, id, reason) => {
        const self = pooled();
        if (reason === 'sfu-lost' && self !== undefined && this.#assigned.get(roomId) === self) this.#assigned.delete(roomId);
        this.#listener?.onDisconnected(roomId, id, reason);
      },
      onNegotiationError: (id, error) => this.#listener?.onNegotiationError(id, error),
    };
  }

  /** Adds an SFU created with the events it must report. */
  add(name: string, create: (events: Required<SfuEvents>) => Sfu): PooledSfu {
    // The events need the entry, the entry needs the SFU the events are given to.
    const holder: { self?: PooledSfu } = {};
    const sfu = create(this.#events(() => holder.self));
    const self: PooledSfu = { name, sfu, usable: () => !this.#closed, alive: () => !this.#closed };
    holder.self = self;
    this.#sfus.push(self);
    this.#closers.push(() => sfu.close());
    return self;
  }

  /** Adds an SFU created on the first `assign` (which waits for it). */
  addLazy(name: string, create: (events: Required<SfuEvents>) => Promise<Sfu>): void {
    let current: Sfu | undefined;
    let loading: Promise<void> | undefined;
    const self: PooledSfu = {
      name,
      get sfu(): Sfu {
        if (!current) throw new Error(`SFU ${name} is not loaded`);
        return current;
      },
      usable: () => !this.#closed && current !== undefined,
      alive: () => !this.#closed && current !== undefined,
    };
    this.#loads.push(() => {
      loading ??= create(this.#events(() => self)).then((sfu) => {
        if (this.#closed) return sfu.close();
        current = sfu;
      });
      return loading;
    });
    this.#sfus.push(self);
    this.#closers.push(async () => {
      await loading?.catch(() => undefined);
      await current?.close();
    });
  }

  /**
   * Adds a remote SFU, connecting in the background and again whenever the connection is lost.
   * Until connected it takes no rooms.
   */
  addRemote(name: string, connect: (events: Required<SfuEvents>) => Promise<RemoteSfu>, logger: Logger): void {
    let current: RemoteSfu | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = RETRY_MIN_MS;
    const self: PooledSfu = {
      name,
      get sfu(): Sfu {
        if (!current) throw new Error(`SFU ${name} is not connected`);
        return current;
      },
      usable: () => !this.#closed && current !== undefined && current.connected && !current.draining,
      alive: () => !this.#closed && current !== undefined && current.connected,
    };
    const attempt = (): void => {
      timer = undefined;
      if (this.#closed) return;
      connect(this.#events(() => self)).then(
        (sfu) => {
          if (this.#closed) {
            void sfu.close();
            return;
          }
          current = sfu;
          delay = RETRY_MIN_MS;
          logger.info({ sfu: name }, 'rooms: connected to SFU');
          void sfu.closed.then(() => {
            if (this.#closed) return;
            logger.warn({ sfu: name }, 'rooms: lost the SFU connection; reconnecting');
            schedule();
          });
        },
        (error: unknown) => {
          logger.warn({ sfu: name, err: error instanceof Error ? error.message : String(error) }, 'rooms: cannot reach SFU; retrying');
          schedule();
        },
      );
    };
    const schedule = (): void => {
      if (this.#closed || timer) return;
      timer = setTimeout(attempt, delay);
      timer.unref();
      delay = Math.min(RETRY_MAX_MS, delay * 2);
    };
    this.#sfus.push(self);
    this.#closers.push(async () => {
      clearTimeout(timer);
      await current?.close();
    });
    attempt();
  }

  get size(): number {
    return this.#sfus.length;
  }

  /** The room's SFU, assigning one if it has none (or lost it); undefined when no SFU is usable. */
  async assign(roomId: string): Promise<PooledSfu | undefined> {
    if (this.#loads.length > 0) {
      const results = await Promise.allSettled(this.#loads.map((load) => load()));
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    }
    // A room stays on its SFU while that SFU is up, even draining: forwarding happens inside one SFU.
    const current = this.#assigned.get(roomId);
    if (current?.alive()) return current;
    let best: { sfu: PooledSfu; streams: number; participants: number } | undefined;
    for (const sfu of this.#sfus) {
      if (!sfu.usable()) continue;
      const load = sfu.sfu.load();
      if (!best || load.forwardedStreams < best.streams || (load.forwardedStreams === best.streams && load.participants < best.participants)) {
        best = { sfu, streams: load.forwardedStreams, participants: load.participants };
      }
    }
    if (best) this.#assigned.set(roomId, best.sfu);
    else this.#assigned.delete(roomId);
    return best?.sfu;
  }

  /** The room ended on this node: its next participant may go to another SFU. */
  release(roomId: string): void {
    this.#assigned.delete(roomId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#assigned.clear();
    await Promise.all(this.#closers.map((close) => close().catch(() => undefined)));
  }
}
