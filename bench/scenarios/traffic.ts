import type { TrafficSetup } from '../gen/scenario-setup.ts';
import type { StepResult, StepSpec } from '../gen/traffic.ts';
import type { Options } from '../options.ts';
import { Generator } from '../workers.ts';

export type Step = StepResult & { errors: Record<string, number> };

export interface OneToOneResult {
  target: string;
  setupMs: number;
  /** Closed loop: `window` unconfirmed messages per sender. */
  max: Step;
  /** Open loop at half of max's messages/s. */
  half: Step;
  /** Open loop at each rate of `--rates`, in order. */
  rates: Step[];
  /** Multi-node: open loop at a low rate, so the cross-node hop is not hidden by queueing. */
  probe?: Step;
}

export interface GroupResult {
  target: string;
  setupMs: number;
  steps: Step[];
  /** The step with the most deliveries/s whose p99 stayed under 1 s (and that kept up with the offered rate). */
  best: Step | null;
  /** The same with p99 ≤ 50 ms (the target). */
  best50: Step | null;
}

const P99_LIMIT_MS = 1_000;

async function withGenerator<T>(setup: TrafficSetup, fn: (gen: Generator) => Promise<T>): Promise<T & { setupMs: number }> {
  const gen = new Generator();
  try {
    const { ms } = await gen.call<{ ms: number }>({ cmd: 'traffic.setup', setup }, 5 * 60_000);
    return { ...(await fn(gen)), setupMs: ms };
  } finally {
    await gen.stop();
  }
}

function step(gen: Generator, spec: StepSpec): Promise<Step> {
  return gen.call<Step>({ cmd: 'traffic.step', spec }, spec.warmupMs + spec.measureMs + 60_000);
}

/** Scenario 2: 1:1 pairs, both sides sending; the maximum rate, then half of it. */
export async function runOneToOne(kind: 'charla' | 'relay', label: string, urls: string[], serverPids: number[], o: Options, probeRate?: number): Promise<OneToOneResult> {
  const setup: TrafficSetup = { kind, urls, shape: { type: 'pairs', pairs: o.pairs }, bodySize: o.bodySize, ack: o.ack };
  return withGenerator(setup, async (gen) => {
    const timing = { warmupMs: o.warmupMs, measureMs: o.measureMs, serverPids };
    const max = await step(gen, { mode: 'closed', window: o.window, ...timing });
    const rate = Math.max(1, Math.round(max.messagesPerSec / 2));
    const half = await step(gen, { mode: 'open', rate, ...timing });
    const rates: Step[] = [];
    for (const r of probeRate === undefined ? o.rates : []) rates.push(await step(gen, { mode: 'open', rate: r, ...timing }));
    if (probeRate === undefined) return { target: label, max, half, rates };
    const probe = await step(gen, { mode: 'open', rate: Math.min(probeRate, rate), ...timing });
    return { target: label, max, half, rates, probe };
  });
}

/** Scenario 3: one 100-member group, senders at rising rates until p99 passes 1 s or the server falls behind. */
export async function runGroup(kind: 'charla' | 'relay', label: string, urls: string[], serverPids: number[], o: Options): Promise<GroupResult> {
  const setup: TrafficSetup = { kind, urls, shape: { type: 'group', members: o.groupMembers, senders: o.groupSenders }, bodySize: o.bodySize, ack: o.ack };
  return withGenerator(setup, async (gen) => {
    const steps: Step[] = [];
    for (const rate of o.groupRates) {
      const s = await step(gen, { mode: 'open', rate, warmupMs: o.warmupMs, measureMs: o.measureMs, serverPids });
      steps.push(s);
      const fellBehind = s.messagesPerSec < 0.8 * rate;
      if (s.latency.p99 > P99_LIMIT_MS || fellBehind) break;
    }
    const bestUnder = (limitMs: number): Step | null =>
      steps
        .filter((s) => s.latency.p99 <= limitMs && s.deliveries > 0 && s.messagesPerSec >= 0.8 * (s.offeredRate ?? 0))
        .reduce<Step | null>((b, s) => (b === null || s.deliveriesPerSec > b.deliveriesPerSec ? s : b), null);
    return { target: label, steps, best: bestUnder(P99_LIMIT_MS), best50: bestUnder(50) };
  });
}
