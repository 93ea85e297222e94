import { Worker } from 'node:worker_threads';

/**
 * Runs checkpoint-thread.ts beside the event loop; the main connection's automatic checkpoints are
 * turned off while it runs. If the thread dies, `onFailure` turns them back on (the WAL must not
 * grow without bound).
 */
export class Checkpointer {
  readonly #worker: Worker;
  #closed = false;

  constructor(path: string, onFailure: (error: unknown) => void) {
    this.#worker = new Worker(new URL('./checkpoint-thread.ts', import.meta.url), { workerData: { path } });
    this.#worker.unref();
    this.#worker.on('error', (error) => {
      if (!this.#closed) onFailure(error);
    });
    this.#worker.on('exit', (code) => {
      if (!this.#closed) onFailure(new Error(`the checkpoint thread exited with code ${code}`));
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
  }
}
