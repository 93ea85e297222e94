import { CONFIG_FIELDS } from '@charla/server';
import { startBacking } from '../cluster.ts';
import type { Options } from '../options.ts';
import { startCharla, type Target } from '../targets.ts';
import { runGroup, runOneToOne, type GroupResult, type OneToOneResult } from './traffic.ts';

export type MultiNodeResult =
  | { skipped: string }
  | {
      skipped: null;
      backing: 'bench' | 'env';
      oneToOne: OneToOneResult;
      group: GroupResult;
      /** At a low rate (PROBE_RATE): p50 of cross-node deliveries minus p50 of same-node ones (ms). */
      crossNodeAddedP50Ms: number;
    };

/** Total 1:1 messages/s at which the cross-node hop is measured: low enough that nothing queues. */
const PROBE_RATE = 50;

/** Does this server know the settings scenario 5 needs? (Being built while this was written.) */
export function multiNodeSupport(): string | null {
  const envs = new Set(CONFIG_FIELDS.map((f) => f.env));
  if (!envs.has('CHARLA_DATABASE_URL')) return 'skipped: needs CHARLA_DATABASE_URL support';
  if (!envs.has('CHARLA_NATS_URL')) return 'skipped: needs CHARLA_NATS_URL support';
  return null;
}

/**
 * Scenario 5: scenarios 2 and 3 across two nodes sharing PostgreSQL and NATS. Half the 1:1 pairs
 * and half of each group's receivers are on the other node, so the added cost of a cross-node
 * hop shows as the difference between cross- and same-node latency.
 */
export async function runMultiNode(o: Options, sync: 'full' | 'normal'): Promise<MultiNodeResult> {
  const missing = multiNodeSupport();
  if (missing) return { skipped: missing };
  const backing = await startBacking();
  const nodes: Target[] = [];
  try {
    const env = { CHARLA_DATABASE_URL: backing.databaseUrl, CHARLA_NATS_URL: backing.natsUrl };
    for (const n of [1, 2]) nodes.push(await startCharla({ sync, env, label: `charla node ${n}` }));
    const urls = nodes.map((n) => n.url);
    const pids = nodes.map((n) => n.pid);
    const oneToOne = await runOneToOne('charla', 'charla ×2 (PostgreSQL + NATS)', urls, pids, o, PROBE_RATE);
    const group = await runGroup('charla', 'charla ×2 (PostgreSQL + NATS)', urls, pids, o);
    const h = oneToOne.probe ?? oneToOne.half;
    return {
      skipped: null,
      backing: backing.ownedByBench ? 'bench' : 'env',
      oneToOne,
      group,
      crossNodeAddedP50Ms: h.latencyCrossNode.p50 - h.latencySameNode.p50,
    };
  } finally {
    for (const n of nodes) await n.stop();
    await backing.stop();
  }
}
