import type { Options } from '../options.ts';
import { rssKib, sleep } from '../procs.ts';
import type { Target } from '../targets.ts';
import { Generator } from '../workers.ts';

export interface ConnectionsResult {
  target: string;
  requested: number;
  /** Why fewer than requested were attempted, if so. */
  cappedBy: string | null;
  connected: number;
  failed: number;
  firstError: string | null;
  setupMs: number;
  connectMs: number;
  rssBeforeKib: number;
  rssAfterKib: number;
  /** Server RSS growth per open connection, KiB. */
  kibPerConnection: number;
}

/** Source addresses of generator g: two each, so no address needs more than its ~28k ephemeral ports. */
function sourceAddresses(g: number): string[] {
  return [`127.0.0.${2 + 2 * g}`, `127.0.0.${3 + 2 * g}`];
}

/**
 * Scenario 1: N devices, each with an authenticated, idle WebSocket; the server's RSS growth
 * divided by N. Devices are made up front (few accounts, many logins each), so the RSS baseline
 * already holds their rows and caches: what is left is the cost of a live connection.
 */
export async function runConnections(target: Target, o: Options): Promise<ConnectionsResult> {
  const gens = Array.from({ length: o.connectionGenerators }, () => new Generator());
  try {
    const share = (g: number): number => Math.floor(o.connections / gens.length) + (g < o.connections % gens.length ? 1 : 0);
    let setupMs = 0;
    if (target.kind === 'charla') {
      const t0 = performance.now();
      await Promise.all(gens.map((gen, g) => gen.call({ cmd: 'idle.setup', url: target.url, count: share(g), devicesPerAccount: o.devicesPerAccount }, 15 * 60_000)));
      setupMs = performance.now() - t0;
    }
    await sleep(2_000);
    const rssBeforeKib = rssKib(target.pid);
    const deadlineMs = o.quick ? 60_000 : 5 * 60_000;
    const results = await Promise.all(
      gens.map((gen, g) =>
        gen.call<{ connected: number; failed: number; firstError: string | null; ms: number }>(
          { cmd: 'idle.connect', kind: target.kind, url: target.url, count: share(g), localAddresses: sourceAddresses(g), deadlineMs },
          deadlineMs + 60_000,
        ),
      ),
    );
    await sleep(o.quick ? 2_000 : 5_000);
    const rssAfterKib = rssKib(target.pid);
    const connected = results.reduce((a, r) => a + r.connected, 0);
    return {
      target: target.label,
      requested: o.connectionsRequested,
      cappedBy: o.connections < o.connectionsRequested ? `RLIMIT_NOFILE hard limit ${o.nofileHardLimit} per process (no CAP_SYS_RESOURCE to raise it)` : null,
      connected,
      failed: results.reduce((a, r) => a + r.failed, 0),
      firstError: results.find((r) => r.firstError)?.firstError ?? null,
      setupMs,
      connectMs: Math.max(...results.map((r) => r.ms)),
      rssBeforeKib,
      rssAfterKib,
      kibPerConnection: connected > 0 ? (rssAfterKib - rssBeforeKib) / connected : NaN,
    };
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
  }
}
