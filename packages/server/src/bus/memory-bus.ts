import type { Bus, BusListener, ControlEvent, GroupEvent } from './bus.ts';

type Item = { readonly groupId: string; readonly event: GroupEvent } | { readonly control: ControlEvent };

/**
 * The single-node bus: a FIFO drained on the next macrotask. Publish order is delivery order,
 * and delivery happens after the publishing request has been answered, so a sender sees its
 * `ok` before the event of its own message ([SEND-7]), as it would across nodes.
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
      setImmediate(() => this.#drain());
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
