import type { LogEntry } from '../store/types.ts';

/** A group event as it travels between nodes: the log entry plus what delivery needs to route it. */
export interface GroupEvent {
  readonly entry: LogEntry;
  /** Ephemeral: not stored, pushed to connected members only (seq 0). */
  readonly ephemeral?: boolean;
  /** For commits: devices whose membership ended with it (they receive it, then nothing more). */
  readonly removed?: readonly string[];
  /**
   * A stored entry announced again (its sender retried and the first publish may never have gone
   * out): receivers deliver it through the store, bounded by each device's membership, because
   * what it did to membership (`removed`) is not repeated.
   */
  readonly replay?: boolean;
}

/** Node-wide control messages. */
export type ControlEvent =
  | { readonly type: 'deviceRevoked'; readonly deviceId: string }
  /** A device became a member other than by a welcome (it created the group). */
  | { readonly type: 'joined'; readonly groupId: string; readonly deviceId: string };

export interface BusListener {
  onGroupEvent(groupId: string, event: GroupEvent): void;
  onControl(event: ControlEvent): void;
  /**
   * The bus may have missed group events (its connection dropped and came back): listeners
   * re-read what they deliver from the store, the source of truth.
   */
  onResync?(): void;
}

/**
 * Fan-out between server nodes. The service appends an event to the store once and publishes it
 * once; every node's delivery layer receives it and hands it to its local connections.
 *
 * What a bus guarantees (bus-contract.ts checks it for every bus): events one node publishes for
 * a group reach every node in publish order; delivery never happens inside publish() (so the
 * publisher answers `ok` before its own connection gets the event, [SEND-7]); control events reach
 * every node once, the publisher's included. What it does not: an order between events that
 * different nodes publish for one group, nor (NATS, across a reconnect) that none is lost. The
 * delivery layer fills such holes from the store (services/delivery.ts).
 */
export interface Bus {
  /** Resolves once the event is on its way to every node (for NATS: the server has it). */
  publish(groupId: string, event: GroupEvent): Promise<void>;
  /** Resolves once the event is durable (for NATS: stored in its JetStream stream). */
  publishControl(event: ControlEvent): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(listener: BusListener): () => void;
  /** For /healthz: whether events published now would reach the other nodes. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
