import { Worker } from 'node:worker_threads';

/** What the checkpoint thread needs from the store's connection. */
export interface CheckpointHooks {
  /** Called if the thread dies: the main connection's automatic checkpoints come back on. */
  readonly onFailure: (error: unknown) => void;
  /** Hold new write transactions (none is running: this runs between two of them). */
  readonly hold: () => void;
  /** Let them go on. */
  readonly release: () => void;
}

/** The longest writes are held for a catch-up pass, whatever the thread does. */
const MAX_HOLD_MS = 1_000;

/**
 * Runs checkpoint-thread.ts beside the event loop; the main connection's automatic checkpoints are
 * turned off while it runs. If the thread dies, `onFailure` turns them back on (the WAL must not
 * grow without bound). When the WAL is long, the thread asks for writes to be held while it
 * catches up, so that the WAL can start over (checkpoint-thread.ts).
 */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #hooks: CheckpointHooks;
  #closed = false;
  #holdTimer: NodeJS.Timeout | undefined;

  constructor(path: string, hooks: CheckpointHooks, restartFrames?: number) {
    this.#hooks = hooks;
    this.#worker = new Worker(new URL('./checkpoint-thread.ts', import.meta.url), { workerData: { path, restartFrames } });
    this.#worker.unref();
    this.#worker.on('message', (message: unknown) => {
      if (message === 'hold') {
        if (this.#closed) return;
        hooks.hold();
        this.#holdTimer = setTimeout(() => this.#release(), MAX_HOLD_MS);
        this.#worker.postMessage('held');
      } else if (message === 'release') {
        this.#release();
      }
    });
    this.#worker.on('error', (error) => {
      this.#release();
      if (!this.#closed) hooks.onFailure(error);
    });
    this.#worker.on('exit', (code) => {
      this.#release();
      if (!this.#closed) hooks.onFailure(new Error(`the checkpoint thread exited with code ${code}`));
    });
  }

  /** Stops the thread after its current checkpoint and waits for it to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
    this.#release();
  }

  #release(): void {
    if (this.#holdTimer === undefined) return;
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#hooks.release();
  }
}
