import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** One server node as its own process (`node packages/server/src/main.ts`), as it runs in production. */
export class NodeProcess {
  readonly name: string;
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly logs: string[];

  private constructor(name: string, url: string, child: ChildProcess, exited: Promise<void>, logs: string[]) {
    this.name = name;
    this.url = url;
    this.#child = child;
    this.#exited = exited;
    this.logs = logs;
  }

  /** Starts on a free loopback port (CHARLA_PORT=0) and resolves with the URL the node prints. */
  static async start(name: string, env: Record<string, string>, timeoutMs = 20_000): Promise<NodeProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env, CHARLA_PORT: '0', CHARLA_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${logs.join('')}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        logs.push(text);
        const m = /Charla is listening on (http:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name} exited at start:\n${logs.join('')}`));
      });
    });
    return new NodeProcess(name, url, child, exited, logs);
  }

  /** SIGKILL: no draining, no goodbye to clients, connections just die. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not drained in time. */
  async stop(timeoutMs = 8000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Open WebSocket connections, from the node's /metrics. */
  async wsConnections(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return Number(/^charla_ws_connections (\d+)$/m.exec(text)?.[1] ?? NaN);
  }
}
