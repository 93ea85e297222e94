import type { Machine } from './machine.ts';
import type { ProfileSummary } from './profile.ts';
import type { ConnectionsResult } from './scenarios/connections.ts';
import type { MultiNodeResult } from './scenarios/multi-node.ts';
import type { GroupResult, OneToOneResult, Step } from './scenarios/traffic.ts';

type Failed = { error: string };
export type Outcome<T> = T | Failed | undefined;

export interface CharlaRun {
  sync: 'full' | 'normal';
  /** The first 1:1 run (or the only one). */
  oneToOne?: Outcome<OneToOneResult>;
  /** With `--runs=N` (N > 1): every 1:1 run, in order, `oneToOne` first. */
  oneToOneRuns?: Outcome<OneToOneResult>[];
  group?: Outcome<GroupResult>;
  multiNode?: Outcome<MultiNodeResult>;
}

export interface Results {
  startedAt: string;
  command: string;
  quick: boolean;
  machine: Machine;
  /** Load average right after the run: compare with machine.loadAverage. */
  loadAverageAfter: number[];
  bodySize: number;
  ack: string;
  /** Node flags of the Charla server and of the generators (older result files lack them). */
  nodeFlags?: { server: readonly string[]; generators: readonly string[] };
  durationMs: number;
  /** Scenario 1, measured once (memory per connection does not depend on the durability setting). */
  connections?: { relay: Outcome<ConnectionsResult>; charla: Outcome<ConnectionsResult>; charlaSync: 'full' | 'normal' };
  relay: { oneToOne?: Outcome<OneToOneResult>; oneToOneRuns?: Outcome<OneToOneResult>[]; group?: Outcome<GroupResult> };
  charla: CharlaRun[];
  profile?: { oneToOne?: ProfileSummary; group?: ProfileSummary; dir: string };
}

const ok = <T>(x: Outcome<T>): T | undefined => (x && !('error' in (x as object)) ? (x as T) : undefined);
const errOf = <T>(x: Outcome<T>): string | undefined => (x && 'error' in (x as object) ? (x as Failed).error.split('\n')[0] : undefined);
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toString()) : '—');
const pct = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 ? `${((a / b) * 100).toFixed(1)} %` : '—');
const met = (b: boolean | undefined): string => (b === undefined ? '—' : b ? 'yes' : 'no');

/** Every 1:1 run of a target, in order: `oneToOneRuns` with `--runs=N`, else the one `oneToOne`. */
export function oneToOneRunsOf(x: { oneToOne?: Outcome<OneToOneResult>; oneToOneRuns?: Outcome<OneToOneResult>[] }): Outcome<OneToOneResult>[] {
  return x.oneToOneRuns ?? (x.oneToOne === undefined ? [] : [x.oneToOne]);
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The 1:1 rows for `--runs=N`: each figure is the median over the runs, with every run's value
 * beside it. The ratio is the median of each run's own ratio (relay and Charla ran back to back).
 * A run that failed counts as missing: the medians are over the runs that completed.
 */
export function oneToOneMedianRows(tag: string, charlaRuns: readonly Outcome<OneToOneResult>[], relayRuns: readonly Outcome<OneToOneResult>[]): string[] {
  const c = charlaRuns.map((x) => ok(x));
  const r = relayRuns.map((x) => ok(x));
  const done = c.filter((x) => x !== undefined);
  const relayDone = r.filter((x) => x !== undefined);
  const n = `median of ${done.length} of ${charlaRuns.length} runs`;
  if (done.length === 0) return [`| 2 | 1:1 (${tag}, ${n}) | every run failed: ${errOf(charlaRuns[0])} | — | — | — | no |`];
  const list = (xs: readonly (number | undefined)[], f: (x: number) => string): string => xs.map((x) => (x === undefined ? 'failed' : f(x))).join(', ');
  const maxes = c.map((x) => x?.max.messagesPerSec);
  const relayMaxes = r.map((x) => x?.max.messagesPerSec);
  const ratios = c.map((x, i) => (x && r[i] ? x.max.messagesPerSec / r[i].max.messagesPerSec : undefined));
  const okRatios = ratios.filter((x) => x !== undefined);
  const medRatio = median(okRatios);
  const halfP99 = c.map((x) => x?.half.latency.p99);
  const okHalf = halfP99.filter((x) => x !== undefined);
  const within = okHalf.filter((x) => x <= 20).length;
  const rows = [
    `| 2 | 1:1 max, delivered msgs/s (${tag}, ${n}) | ${int(median(done.map((x) => x.max.messagesPerSec)))} (runs: ${list(maxes, int)}) | ${int(median(relayDone.map((x) => x.max.messagesPerSec)))} (runs: ${list(relayMaxes, int)}) | ${okRatios.length ? `${(medRatio * 100).toFixed(1)} % (runs: ${list(ratios, (x) => `${(x * 100).toFixed(1)} %`)})` : '—'} | ≥ 50 % of relay (~70,000) | ${met(okRatios.length ? medRatio >= 0.5 : undefined)} |`,
    `| 2 | 1:1 at half of max: p99 (${tag}, ${n}) | ${ms(median(okHalf))} ms (runs: ${list(halfP99, (x) => `${ms(x)} ms`)}; at ${list(c.map((x) => x?.half.messagesPerSec), int)} msgs/s) | ${ms(median(relayDone.map((x) => x.half.latency.p99)))} ms | — | p99 ≤ 20 ms | ${met(median(okHalf) <= 20)} (${within} of ${okHalf.length} runs) |`,
  ];
  const rates = done[0]!.rates.map((s) => s.offeredRate ?? 0);
  for (const [k, rate] of rates.entries()) {
    const p99s = c.map((x) => x?.rates[k]?.latency.p99);
    const okP99 = p99s.filter((x) => x !== undefined);
    rows.push(`| 2 | 1:1 open ${int(rate)}/s (\`--rates\`): p99 (${tag}, ${n}) | ${ms(median(okP99))} ms (runs: ${list(p99s, (x) => `${ms(x)} ms`)}) | ${ms(median(r.map((x) => x?.rates[k]?.latency.p99).filter((x) => x !== undefined)))} ms | — | — | — |`);
  }
  return rows;
}

function latency(s: Step): string {
  return `p50 ${ms(s.latency.p50)} / p99 ${ms(s.latency.p99)} ms`;
}

/** The headline table: one row per scenario and Charla setting, relay beside it, ratio, target. */
export function summaryTable(r: Results): string {
  const rows: string[] = [
    '| # | Scenario | Charla | Relay | Charla / relay | Target | Met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const rc = ok(r.connections?.relay);
  const r1 = ok(r.relay.oneToOne);
  const rg = ok(r.relay.group);
  if (r.connections) {
    const c = ok(r.connections.charla);
    const e = errOf(r.connections.charla);
    const cap = c?.cappedBy ? ` (capped from ${int(c.requested)}: ${c.cappedBy})` : '';
    rows.push(
      `| 1 | Idle authenticated connections, server RSS KiB each (sync=${r.connections.charlaSync}, for setup speed) | ${c ? `${c.kibPerConnection.toFixed(1)} KiB × ${int(c.connected)}${c.failed ? ` (${int(c.failed)} failed)` : ''}${cap}` : `error: ${e}`} | ${rc ? `${rc.kibPerConnection.toFixed(1)} KiB × ${int(rc.connected)}` : '—'} | ${c && rc ? `relay/Charla ${pct(rc.kibPerConnection, c.kibPerConnection)}` : '—'} | ≥ 50,000 at ≤ 10 KB | ${met(c ? c.connected >= 50_000 && c.kibPerConnection <= 10 : undefined)} |`,
    );
  }
  for (const run of r.charla) {
    const tag = `sync=${run.sync}`;
    if (run.oneToOneRuns !== undefined && run.oneToOneRuns.length > 1) {
      rows.push(...oneToOneMedianRows(tag, run.oneToOneRuns, oneToOneRunsOf(r.relay)));
    } else if (run.oneToOne !== undefined) {
      const c = ok(run.oneToOne);
      const e = errOf(run.oneToOne);
      rows.push(
        `| 2 | 1:1 max, delivered msgs/s (${tag}) | ${c ? `${int(c.max.messagesPerSec)} (${latency(c.max)})` : `error: ${e}`} | ${r1 ? `${int(r1.max.messagesPerSec)} (${latency(r1.max)})` : '—'} | ${pct(c?.max.messagesPerSec, r1?.max.messagesPerSec)} | ≥ 50 % of relay (~70,000) | ${met(c && r1 ? c.max.messagesPerSec >= 0.5 * r1.max.messagesPerSec : undefined)} |`,
      );
      if (c) {
        rows.push(
          `| 2 | 1:1 at half of max (${tag}) | ${int(c.half.messagesPerSec)}/s, ${latency(c.half)} | ${r1 ? `${int(r1.half.messagesPerSec)}/s, ${latency(r1.half)}` : '—'} | — | p99 ≤ 20 ms | ${met(c.half.latency.p99 <= 20)} |`,
        );
        const within = c.rates.filter((s) => s.latency.p99 <= 20 && s.undelivered === 0).sort((a, b) => b.messagesPerSec - a.messagesPerSec)[0];
        if (c.rates.length > 0) {
          rows.push(
            `| 2 | 1:1: highest \`--rates\` step with p99 ≤ 20 ms (${tag}) | ${within ? `${int(within.messagesPerSec)}/s, ${latency(within)}` : 'none'} | — | ${pct(within?.messagesPerSec, r1?.max.messagesPerSec)} of relay max | — | — |`,
          );
        }
      }
    }
    if (run.group !== undefined) {
      const c = ok(run.group);
      const e = errOf(run.group);
      const cell = (g: GroupResult | undefined): string =>
        g?.best ? `${int(g.best.deliveriesPerSec)} (${int(g.best.messagesPerSec)} msgs/s, ${latency(g.best)})` : g ? 'none under 1 s' : '—';
      rows.push(
        `| 3 | Group of ${100}: deliveries/s, highest rate with p99 < 1 s (${tag}) | ${c ? cell(c) : `error: ${e}`} | ${cell(rg)} | ${pct(c?.best?.deliveriesPerSec, rg?.best?.deliveriesPerSec)} | — | — |`,
      );
      const c50 = c?.best50;
      const r50 = rg?.best50;
      rows.push(
        `| 3 | Group of ${100}: deliveries/s with p99 ≤ 50 ms (${tag}) | ${c50 ? `${int(c50.deliveriesPerSec)} (p99 ${ms(c50.latency.p99)} ms)` : c ? 'none' : '—'} | ${r50 ? `${int(r50.deliveriesPerSec)} (p99 ${ms(r50.latency.p99)} ms)` : '—'} | ${pct(c50?.deliveriesPerSec, r50?.deliveriesPerSec)} | ≥ 50 % of relay (~100,000) at p99 ≤ 50 ms | ${met(c && rg ? (c50?.deliveriesPerSec ?? 0) >= 0.5 * (r50?.deliveriesPerSec ?? rg.best?.deliveriesPerSec ?? Infinity) : undefined)} |`,
      );
    }
    if (run.multiNode !== undefined) {
      const m = ok(run.multiNode);
      const e = errOf(run.multiNode);
      if (!m || m.skipped !== null) {
        rows.push(`| 5 | Two nodes, PostgreSQL + NATS (${tag}) | ${m ? m.skipped : `error: ${e}`} | — | — | cross-node adds ≤ 5 ms p50 | — |`);
      } else {
        rows.push(`| 5 | Two nodes: 1:1 max msgs/s (${tag}) | ${int(m.oneToOne.max.messagesPerSec)} (${latency(m.oneToOne.max)}) | ${r1 ? int(r1.max.messagesPerSec) : '—'} | ${pct(m.oneToOne.max.messagesPerSec, r1?.max.messagesPerSec)} | — | — |`);
        rows.push(`| 5 | Two nodes: group deliveries/s, p99 < 1 s (${tag}) | ${m.group.best ? `${int(m.group.best.deliveriesPerSec)} (${latency(m.group.best)})` : 'none under 1 s'} | ${rg?.best ? int(rg.best.deliveriesPerSec) : '—'} | ${pct(m.group.best?.deliveriesPerSec, rg?.best?.deliveriesPerSec)} | — | — |`);
        rows.push(`| 5 | Two nodes: cross-node p50 minus same-node p50 at ${int(m.oneToOne.probe?.offeredRate ?? 0)} msgs/s (${tag}) | ${ms(m.crossNodeAddedP50Ms)} ms (same ${ms((m.oneToOne.probe ?? m.oneToOne.half).latencySameNode.p50)}, cross ${ms((m.oneToOne.probe ?? m.oneToOne.half).latencyCrossNode.p50)}) | — | — | ≤ 5 ms | ${met(m.crossNodeAddedP50Ms <= 5)} |`);
      }
    }
  }
  return rows.join('\n');
}

function stepRow(target: string, what: string, s: Step): string {
  const errors = Object.entries(s.errors).map(([k, v]) => `${k}×${v}`).join(' ') || '';
  return `| ${target} | ${what} | ${int(s.sent)} | ${int(s.messagesPerSec)} | ${int(s.deliveriesPerSec)} | ${ms(s.latency.p50)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ${Math.round(s.serverCpuPct)} % | ${Math.round(s.generatorCpuPct)} % | ${ms(s.maxSchedulerLagMs)} | ${ms(s.generatorLoopDelayP99Ms)} | ${int(s.undelivered)} | ${errors} |`;
}

/** Every measured step, with CPU use on both sides (which side was the bottleneck). */
export function detailTable(r: Results): string {
  const rows = [
    '| target | step | sent | msgs/s | deliveries/s | p50 ms | p99 ms | max ms | server CPU | generator CPU | scheduler lag ms | generator loop delay p99 ms | undelivered | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const oneToOne = (label: string, x: OneToOneResult | undefined): void => {
    if (!x) return;
    rows.push(stepRow(label, '1:1 max (closed loop)', x.max), stepRow(label, `1:1 open ${int(x.half.offeredRate ?? 0)}/s`, x.half));
    for (const s of x.rates) rows.push(stepRow(label, `1:1 open ${int(s.offeredRate ?? 0)}/s (--rates)`, s));
    if (x.probe) rows.push(stepRow(label, `1:1 probe ${int(x.probe.offeredRate ?? 0)}/s`, x.probe));
  };
  const group = (label: string, x: GroupResult | undefined): void => {
    for (const s of x?.steps ?? []) rows.push(stepRow(label, `group open ${int(s.offeredRate ?? 0)} msgs/s`, s));
  };
  const relayRuns = oneToOneRunsOf(r.relay);
  for (const [i, relayRun] of relayRuns.entries()) {
    const nth = relayRuns.length > 1 ? ` #${i + 1}` : '';
    oneToOne(`relay${nth}`, ok(relayRun));
    for (const run of r.charla) oneToOne(`charla sync=${run.sync}${nth}`, ok(oneToOneRunsOf(run)[i]));
  }
  group('relay', ok(r.relay.group));
  for (const run of r.charla) group(`charla sync=${run.sync}`, ok(run.group));
  for (const run of r.charla) {
    const m = ok(run.multiNode);
    if (m && m.skipped === null) {
      oneToOne(`2 nodes sync=${run.sync}`, m.oneToOne);
      group(`2 nodes sync=${run.sync}`, m.group);
    }
  }
  const conn = (label: string, c: ConnectionsResult | undefined): string | null =>
    c ? `| ${label} | ${int(c.connected)} | ${int(c.failed)} | ${(c.setupMs / 1000).toFixed(1)} s | ${(c.connectMs / 1000).toFixed(1)} s | ${int(c.rssBeforeKib / 1024)} MiB | ${int(c.rssAfterKib / 1024)} MiB | ${c.kibPerConnection.toFixed(2)} |` : null;
  const connRows = [conn('relay', ok(r.connections?.relay)), conn(`charla sync=${r.connections?.charlaSync}`, ok(r.connections?.charla))].filter((x) => x !== null);
  const out = [rows.join('\n')];
  if (connRows.length) {
    out.push(['| target | connected | failed | device setup | connect | RSS before | RSS after | KiB/connection |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |', ...connRows].join('\n'));
  }
  return out.join('\n\n');
}

export function header(r: Results): string {
  const m = r.machine;
  return [
    `Charla benchmark ${r.startedAt}${r.quick ? ' (--quick: short runs, indicative only)' : ''}`,
    `command: ${r.command}`,
    `machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}`,
    `load average before: ${m.loadAverage.join(', ')}; after: ${r.loadAverageAfter.join(', ')}`,
    `server on CPU 0, generators on CPU 1 (taskset); body ${r.bodySize} bytes (measured MLS ciphertext of a short text); acks: ${r.ack}; took ${(r.durationMs / 1000).toFixed(0)} s`,
    ...(r.nodeFlags ? [`node flags: server ${r.nodeFlags.server.join(' ') || '(none)'}; generators ${r.nodeFlags.generators.join(' ') || '(none)'}`] : []),
  ].join('\n');
}
