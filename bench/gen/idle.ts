import { CharlaConn } from './charla-conn.ts';
import { RelayConn } from './relay-conn.ts';
import { newDevice, pool, register, runPrefix, type BenchDevice } from './setup.ts';

/** Scenario 1's generator side: many devices, each with one authenticated WebSocket doing nothing. */
export class IdleFleet {
  #devices: BenchDevice[] = [];
  #conns: { close(): void }[] = [];

  /**
   * Few accounts, many devices each (every login creates a device). Not activated: an idle
   * device's connection costs the server the same either way, and activation would double the
   * setup (one more durable write per device).
   */
  async setup(url: string, count: number, devicesPerAccount: number): Promise<{ ms: number }> {
    const t0 = performance.now();
    const prefix = runPrefix();
    const accounts = await pool(Math.ceil(count / devicesPerAccount), 8, (i) => register(url, `${prefix}-${i}`));
    this.#devices = await pool(count, 32, (i) => newDevice(url, accounts[Math.floor(i / devicesPerAccount)]!, false));
    return { ms: performance.now() - t0 };
  }

  /**
   * Opens one connection per device (or `count` relay connections), spreading them over the
   * given source addresses: each 127.0.0.x has its own ~28k ephemeral ports.
   */
  async connect(kind: 'charla' | 'relay', url: string, count: number, localAddresses: string[], deadlineMs: number): Promise<{ connected: number; failed: number; firstError: string | null; ms: number }> {
    const t0 = performance.now();
    const ws = url.replace(/^http/, 'ws');
    let failed = 0;
    let firstError: string | null = null;
    // A Charla socket that opened but failed to authenticate is in #conns yet does not count.
    let failedAfterOpen = 0;
    const n = kind === 'charla' ? this.#devices.length : count;
    await pool(n, 256, async (i) => {
      if (performance.now() - t0 > deadlineMs) {
        failed++;
        return;
      }
      const localAddress = localAddresses[i % localAddresses.length];
      try {
        if (kind === 'relay') {
          this.#conns.push(await RelayConn.open(ws, [], localAddress));
        } else {
          const conn = await CharlaConn.open(`${ws}/v1/ws`, 'each', localAddress);
          this.#conns.push(conn);
          try {
            await conn.auth(this.#devices[i]!.token);
            await conn.synced;
          } catch (error) {
            failedAfterOpen++;
            throw error;
          }
        }
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    });
    return { connected: this.#conns.length - (kind === 'charla' ? failedAfterOpen : 0), failed, firstError, ms: performance.now() - t0 };
  }

  close(): void {
    for (const c of this.#conns) c.close();
    this.#conns = [];
  }
}
