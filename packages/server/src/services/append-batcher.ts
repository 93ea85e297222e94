import type { Logger } from 'pino';
import { BackendUnavailableError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { LogEntry, MessageInput, MessageOutcome } from '../store/types.ts';

interface Waiting {
  readonly input: MessageInput;
  readonly resolve: (outcome: MessageOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for `send`: the messages that arrive in one event-loop turn (or while the previous
 * batch is being written) go to the store as one transaction, so a durable store syncs the disk
 * once for all of them instead of once each. Nothing changes for one message: it is checked and
 * appended exactly as alone, in arrival order (the store's appendMessages contract), its entry is
 * published before its caller hears of it, and no caller is answered before the commit.
 *
 * One batch is written at a time: a second one running beside it could take a group's row lock
 * first and give later messages earlier seqs. A store whose appendMessages orders its batch before
 * returning (`appendsOrderAtCall`: SQLite, where only the disk sync is awaited) takes a second
 * batch while the first one's sync runs, so the event loop commits while the disk syncs; its
 * answers still come in batch order. Two at most: what arrives meanwhile makes one larger batch.
 */
export class AppendBatcher {
  readonly #store: Store;
  readonly #logger: Logger;
  /** Publishes new entries; called once per batch with every entry in seq order. */
  readonly #publish: (entry: LogEntry) => Promise<void>;
  #queue: Waiting[] = [];
  #scheduled = false;
  #running = 0;
  readonly #maxRunning: number;

  constructor(store: Store, logger: Logger, publish: (entry: LogEntry) => Promise<void>) {
    this.#store = store;
    this.#logger = logger;
    this.#publish = publish;
    this.#maxRunning = store.appendsOrderAtCall === true ? 2 : 1;
  }

  /** Resolves with the message's outcome once its batch is committed and, if new, published. */
  append(input: MessageInput): Promise<MessageOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#running >= this.#maxRunning) return;
    this.#scheduled = true;
    // setImmediate: after every socket read of this turn has queued its sends.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#running++;
    try {
      await this.#write(batch);
    } finally {
      this.#running--;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  async #write(batch: readonly Waiting[]): Promise<void> {
    let outcomes: (MessageOutcome | { failed: unknown })[];
    try {
      outcomes = await this.#store.appendMessages(batch.map((w) => w.input));
    } catch (error) {
      if (error instanceof BackendUnavailableError || batch.length === 1) {
        for (const w of batch) w.reject(error);
        return;
      }
      // One input may be what broke the transaction: alone, each fails or succeeds on its own.
      // No other batch starts meanwhile, so these still take their seqs before later sends.
      this.#logger.warn({ err: error, size: batch.length }, 'a batch of messages failed: appending them one by one');
      outcomes = [];
      const hold = this.#maxRunning - this.#running;
      this.#running += hold;
      try {
        for (const w of batch) outcomes.push(await this.#store.appendMessage(w.input).catch((failed: unknown) => ({ failed })));
      } finally {
        this.#running -= hold;
      }
    }
    // Publish calls start in seq order (each bus keeps a node's publish order per group).
    const published = outcomes.map((o) => ('failed' in o || o.error !== undefined || o.duplicate ? undefined : this.#publish(o.entry)));
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      const w = batch[i]!;
      if ('failed' in o) w.reject(o.failed);
      else if (published[i] === undefined) w.resolve(o);
      else published[i]!.then(() => w.resolve(o), w.reject);
    }
  }
}
