import { IdleFleet } from './idle.ts';
import { errorCounts, setupTraffic, type TrafficSetup } from './scenario-setup.ts';
import type { StepSpec } from './traffic.ts';
import type { Traffic } from './traffic.ts';

/**
 * A generator process (pinned to the generator core by bench/run.ts). It does what the
 * orchestrator asks over the IPC channel, one command at a time, and answers with the result.
 */
export type Command =
  | { cmd: 'idle.setup'; url: string; count: number; devicesPerAccount: number }
  | { cmd: 'idle.connect'; kind: 'charla' | 'relay'; url: string; count: number; localAddresses: string[]; deadlineMs: number }
  | { cmd: 'traffic.setup'; setup: TrafficSetup }
  | { cmd: 'traffic.step'; spec: StepSpec }
  | { cmd: 'close' };

export type Request = Command & { rid: number };
export type Reply = { rid: number; ok: true; result: unknown } | { rid: number; ok: false; error: string };

/** Whatever happens, a generator never outlives this. */
const HARD_LIMIT_MS = 20 * 60_000;
setTimeout(() => process.exit(3), HARD_LIMIT_MS).unref();

const fleet = new IdleFleet();
let traffic: Traffic | undefined;

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'idle.setup':
      return fleet.setup(c.url, c.count, c.devicesPerAccount);
    case 'idle.connect':
      return fleet.connect(c.kind, c.url, c.count, c.localAddresses, c.deadlineMs);
    case 'traffic.setup': {
      const t0 = performance.now();
      traffic = await setupTraffic(c.setup);
      await new Promise((r) => setTimeout(r, 300)); // the welcomes and commits of the setup settle
      return { ms: performance.now() - t0 };
    }
    case 'traffic.step': {
      if (!traffic) throw new Error('traffic.step before traffic.setup');
      const result = await traffic.step(c.spec);
      return { ...result, errors: errorCounts(traffic.endpoints) };
    }
    case 'close':
      fleet.close();
      traffic?.close();
      setTimeout(() => process.exit(0), 100);
      return null;
  }
}

process.on('message', (msg: Request) => {
  run(msg).then(
    (result) => process.send?.({ rid: msg.rid, ok: true, result } satisfies Reply),
    (error: unknown) => process.send?.({ rid: msg.rid, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));
