/**
 * Runs async tasks one at a time, in order. Every change to MLS group state goes through one queue,
 * so an incoming commit can never interleave with a local commit or encryption.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.run(async () => undefined);
  }
}
