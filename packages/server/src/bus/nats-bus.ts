import { randomBytes } from 'node:crypto';
import {
  connect, DeliverPolicy, Events, nanos, RetentionPolicy, StorageType,
  type ConsumerMessages, type JetStreamClient, type NatsConnection, type Subscription,
} from 'nats';
import { BackendUnavailableError } from '../errors.ts';
import type { LogEntry } from '../store/types.ts';
import type { Bus, BusListener, ControlEvent, GroupEvent } from './bus.ts';
import { MemoryBus } from './memory-bus.ts';

/**
 * The bus between server nodes, over NATS.
 *
 * Group events (`<prefix>.g.<groupId>`) use core NATS, not JetStream: the store is the source of
 * truth and the delivery layer fills any hole in a group's seqs from it, so the bus only has to be
 * fast, not durable. What could be lost is covered elsewhere: publish() waits until the NATS
 * server has the event (a flush) before the request is answered, so an `ok` means every connected
 * node will get it; a node whose NATS connection drops re-reads its connections' groups from the
 * store after reconnecting (onResync); a node killed between storing and publishing never answered
 * `ok`, so the client resends, and a duplicate send publishes the stored entry again.
 *
 * Control events (`<prefix>.control`: revocations, joins) use a JetStream stream: they are rare, a
 * missed one cannot be recovered from a gap (a revoked device would stay connected), and each node
 * reads them through an ordered consumer that resumes where it was after a reconnect.
 *
 * A node's own events are handed to its own listeners in-process (the NATS connection has noEcho
 * set, and control messages it published are skipped by origin), after publish() resolves, like
 * MemoryBus: the sender gets its `ok` before the event of its own message ([SEND-7]).
 */
export interface NatsBusOptions {
  readonly url: string;
  /** Subject prefix; deployments sharing one NATS use different ones. */
  readonly prefix: string;
  /** For NATS' connection list. */
  readonly name?: string;
  /** How long publish() may wait for NATS before the request fails as unavailable. */
  readonly publishTimeoutMs?: number;
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;
/** Control events matter to running nodes only; a node that starts later reads state from the store. */
const CONTROL_MAX_AGE_MS = 60 * 60 * 1000;

interface WireEvent {
  readonly entry: Omit<LogEntry, 'body'>;
  readonly hasBody: boolean;
  readonly ephemeral?: boolean;
  readonly removed?: readonly string[];
  readonly replay?: boolean;
}

function encodeEvent(event: GroupEvent): Uint8Array {
  const { body, ...entry } = event.entry;
  const wire: WireEvent = { entry, hasBody: body !== null, ...(event.ephemeral ? { ephemeral: true } : {}), ...(event.removed ? { removed: event.removed } : {}), ...(event.replay ? { replay: true } : {}) };
  const header = Buffer.from(JSON.stringify(wire));
  const out = Buffer.allocUnsafe(4 + header.length + (body?.length ?? 0));
  out.writeUInt32BE(header.length, 0);
  header.copy(out, 4);
  if (body) out.set(body, 4 + header.length);
  return out;
}

function decodeEvent(data: Uint8Array): GroupEvent {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = buf.readUInt32BE(0);
  const wire = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as WireEvent;
  const body = wire.hasBody ? new Uint8Array(buf.subarray(4 + len)) : null;
  return {
    entry: { ...wire.entry, body },
    ...(wire.ephemeral ? { ephemeral: true } : {}), ...(wire.removed ? { removed: wire.removed } : {}), ...(wire.replay ? { replay: true } : {}),
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BackendUnavailableError(what)), ms)))]);
  } catch (error) {
    throw error instanceof BackendUnavailableError ? error : new BackendUnavailableError(what, error);
  } finally {
    clearTimeout(timer);
  }
}

export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #prefix: string;
  readonly #origin = randomBytes(8).toString('hex');
  readonly #timeoutMs: number;
  readonly #local = new MemoryBus();
  readonly #listeners = new Set<BusListener>();
  #connected = true;
  #sub: Subscription | undefined;
  #control: ConsumerMessages | undefined;

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc;
    this.#js = nc.jetstream();
    this.#prefix = options.prefix;
    this.#timeoutMs = options.publishTimeoutMs ?? 5000;
  }

  static streamName(prefix: string): string {
    return `${prefix.replaceAll('-', '_').toUpperCase()}_CONTROL`;
  }

  /** Connects, creates the control stream if needed and starts listening. Fails if NATS is unreachable. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    if (!SUBJECT_TOKEN.test(options.prefix)) throw new Error('NATS subject prefix: letters, digits, - and _ only');
    const u = new URL(options.url);
    const nc = await connect({
      servers: `${u.hostname}:${u.port || '4222'}`,
      ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
      name: options.name ?? 'charla-server',
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5000,
    });
    try {
      const bus = new NatsBus(nc, options);
      await bus.#start();
      return bus;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  async #start(): Promise<void> {
    const jsm = await this.#nc.jetstreamManager();
    const name = NatsBus.streamName(this.#prefix);
    const config = { name, subjects: [`${this.#prefix}.control`], storage: StorageType.File, retention: RetentionPolicy.Limits, max_age: nanos(CONTROL_MAX_AGE_MS) };
    try {
      await jsm.streams.add(config);
    } catch {
      // Exists with another configuration (an older version of this code): bring it up to date.
      await jsm.streams.update(name, config);
    }
    this.#sub = this.#nc.subscribe(`${this.#prefix}.g.>`, {
      callback: (error, msg) => {
        if (error) return;
        const groupId = msg.subject.slice(this.#prefix.length + 3);
        let event: GroupEvent;
        try {
          event = decodeEvent(msg.data);
        } catch {
          return; // not ours: a foreign publisher on our subjects
        }
        for (const l of this.#listeners) l.onGroupEvent(groupId, event);
      },
    });
    const consumer = await this.#js.consumers.get(name, { filterSubjects: `${this.#prefix}.control`, deliver_policy: DeliverPolicy.New });
    this.#control = await consumer.consume();
    void this.#readControl(this.#control);
    void this.#watchStatus();
    await this.#nc.flush();
  }

  async #readControl(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        let parsed: { origin: string; event: ControlEvent };
        try {
          parsed = m.json<{ origin: string; event: ControlEvent }>();
        } catch {
          continue;
        }
        if (parsed.origin === this.#origin) continue;
        for (const l of this.#listeners) l.onControl(parsed.event);
      }
    } catch {
      // Ends with the connection (close); the ordered consumer itself survives reconnects.
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === Events.Disconnect) this.#connected = false;
      if (s.type === Events.Reconnect) {
        this.#connected = true;
        // Group events published while we were away are gone; the store has them.
        for (const l of this.#listeners) l.onResync?.();
      }
    }
  }

  async publish(groupId: string, event: GroupEvent): Promise<void> {
    if (!SUBJECT_TOKEN.test(groupId)) throw new Error('group id is not a NATS subject token');
    this.#nc.publish(`${this.#prefix}.g.${groupId}`, encodeEvent(event));
    await withTimeout(this.#nc.flush(), this.#timeoutMs, 'bus');
    await this.#local.publish(groupId, event);
  }

  async publishControl(event: ControlEvent): Promise<void> {
    const data = Buffer.from(JSON.stringify({ origin: this.#origin, event }));
    await withTimeout(this.#js.publish(`${this.#prefix}.control`, data), this.#timeoutMs, 'bus');
    await this.#local.publishControl(event);
  }

  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    const unsubscribeLocal = this.#local.subscribe(listener);
    return () => {
      this.#listeners.delete(listener);
      unsubscribeLocal();
    };
  }

  async healthy(): Promise<boolean> {
    if (this.#nc.isClosed() || !this.#connected) return false;
    try {
      await withTimeout(this.#nc.flush(), 2000, 'bus');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#listeners.clear();
    this.#control?.stop();
    this.#sub?.unsubscribe();
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
  }
}
