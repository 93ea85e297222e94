import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command, Reply } from './gen/worker.ts';
import { spawnPinned, stopProcess } from './procs.ts';
import { GENERATOR_CPU, GENERATOR_NODE_FLAGS, NOFILE, REPO } from './targets.ts';

/** The orchestrator's handle on one generator process. */
export class Generator {
  readonly #child: ChildProcess;
  #nextRid = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor() {
    this.#child = spawnPinned({ cpu: GENERATOR_CPU, nofile: NOFILE, command: process.execPath, args: [...GENERATOR_NODE_FLAGS, join(REPO, 'bench/gen/worker.ts')], ipc: true });
    this.#child.on('message', (m: Reply) => {
      const p = this.#pending.get(m.rid);
      if (!p) return;
      this.#pending.delete(m.rid);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`generator: ${m.error}`));
    });
    this.#child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`generator exited (${code})`));
      this.#pending.clear();
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Sends a command; rejects if the generator fails or takes longer than `timeoutMs`. */
  call<T>(command: Command, timeoutMs: number): Promise<T> {
    const rid = this.#nextRid++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new Error(`generator: ${command.cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.send({ ...command, rid });
    });
  }

  async stop(): Promise<void> {
    if (this.#child.connected) await this.call({ cmd: 'close' }, 5_000).catch(() => undefined);
    await stopProcess(this.#child, 3_000);
  }
}
