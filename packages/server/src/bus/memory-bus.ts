import type { Bus, BusListener, ControlEvent, GroupEvent } from './bus.ts';

type Item = { readonly groupId: string; readonly event: GroupEvent } | { readonly control: ControlEvent };

/**
 * The single-node bus: a FIFO drained by a nextTick, which runs once the promise reactions queued
 * meanwhile are done. Publish order is delivery order, and delivery happens after the publishing
 * request has been answered (its `ok` is written by those reactions), so a sender sees its `ok`
 * before the event of its own message ([SEND-7]), as it would across nodes. Both still leave in
 * the same turn: a socket gets its `ok`s and events in one write (ws/cork.ts), where draining on
 * the next macrotask cost every sender a second write per batch.
 */
export class MemoryBus implements Bus {
  readonly #listeners = new Set<BusListener>();
  #queue: Item[] = [];
  #scheduled = false;

  async publish(groupId: string, event: GroupEvent): Promise<void> {
    this.#enqueue({ groupId, event });
  }

  async publishControl(control: ControlEvent): Promise<void> {
    this.#enqueue({ control });
  }

  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#drain();
    this.#listeners.clear();
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    const items = this.#queue;
    this.#queue = [];
    for (const item of items) {
      for (const l of this.#listeners) {
        if ('control' in item) l.onControl(item.control);
        else l.onGroupEvent(item.groupId, item.event);
      }
    }
  }
}
