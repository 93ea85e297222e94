import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { measureCiphertextSize } from './ciphertext-size.ts';
import { machine } from './machine.ts';
import { parseOptions, type Options } from './options.ts';
import { killAll } from './procs.ts';
import { newestProfile, profileMarkdown, summarizeProfile } from './profile.ts';
import { detailTable, header, oneToOneRunsOf, summaryTable, type CharlaRun, type Outcome, type Results } from './report.ts';
import { runConnections } from './scenarios/connections.ts';
import { runMultiNode } from './scenarios/multi-node.ts';
import { runGroup, runOneToOne, type OneToOneResult } from './scenarios/traffic.ts';
import { runWeb, webMarkdown, type WebResult } from './scenarios/web.ts';
import { GENERATOR_NODE_FLAGS, REPO, serverNodeArgs, startCharla, startRelay, type Target } from './targets.ts';
import { roomsMarkdown, runRooms, type RoomsResult } from './rooms.ts';

/**
 * `npm run bench [-- --quick]`: every scenario against the bare `ws` relay and against Charla, each
 * server alone on CPU 0 with a fresh data dir, the generators on CPU 1. Prints markdown, writes
 * JSON to bench/results/<timestamp>.json.
 */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  const t0 = performance.now();
  console.error(`… ${what}`);
  try {
    const result = await fn();
    console.error(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    console.error(`  FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

async function against<T>(start: () => Promise<Target>, fn: (t: Target) => Promise<T>): Promise<T> {
  const target = await start();
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const o: Options = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  o.bodySize = await measureCiphertextSize();
  const results: Results = {
    startedAt,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: o.quick,
    machine: machine(),
    loadAverageAfter: [],
    bodySize: o.bodySize,
    ack: o.ack,
    nodeFlags: { server: serverNodeArgs(), generators: GENERATOR_NODE_FLAGS },
    durationMs: 0,
    relay: {},
    charla: o.syncs.map((sync): CharlaRun => ({ sync })),
  };
  console.error(`load average ${results.machine.loadAverage.join(', ')}; body ${o.bodySize} bytes`);
  const has = (s: Options['only'][number]): boolean => o.only.includes(s);
  const charla = (run: CharlaRun, profileDir?: string) => () => startCharla({ sync: run.sync, profileDir });

  if (has('connections')) {
    const relay = await attempt(`connections × ${o.connections}: relay`, () => against(startRelay, (t) => runConnections(t, o)));
    // Memory per connection does not depend on the durability setting, but making 50,000 devices
    // does (two fsyncs each: login, then the auth's last-seen write): this scenario runs with
    // sync=normal, and its row says so.
    const charlaConnections = await attempt(`connections × ${o.connections}: charla sync=normal`, () =>
      against(() => startCharla({ sync: 'normal' }), (t) => runConnections(t, o)),
    );
    results.connections = { relay, charla: charlaConnections, charlaSync: 'normal' };
  }
  if (has('one-to-one')) {
    // With --runs, relay and Charla alternate, so that a slow spell of the machine lands on both.
    const relayRuns: Outcome<OneToOneResult>[] = [];
    const charlaRuns = results.charla.map((): Outcome<OneToOneResult>[] => []);
    for (let i = 1; i <= o.runs; i++) {
      const nth = o.runs > 1 ? ` (run ${i} of ${o.runs})` : '';
      relayRuns.push(await attempt(`1:1: relay${nth}`, () => against(startRelay, (t) => runOneToOne('relay', t.label, [t.url], [t.pid], o))));
      for (const [k, run] of results.charla.entries()) {
        charlaRuns[k]!.push(await attempt(`1:1: charla sync=${run.sync}${nth}`, () => against(charla(run), (t) => runOneToOne('charla', t.label, [t.url], [t.pid], o))));
      }
    }
    results.relay.oneToOne = relayRuns[0];
    for (const [k, run] of results.charla.entries()) run.oneToOne = charlaRuns[k]![0];
    if (o.runs > 1) {
      results.relay.oneToOneRuns = relayRuns;
      for (const [k, run] of results.charla.entries()) run.oneToOneRuns = charlaRuns[k];
    }
  }
  if (has('group')) {
    results.relay.group = await attempt('group: relay', () => against(startRelay, (t) => runGroup('relay', t.label, [t.url], [t.pid], o)));
    for (const run of results.charla) {
      run.group = await attempt(`group: charla sync=${run.sync}`, () => against(charla(run), (t) => runGroup('charla', t.label, [t.url], [t.pid], o)));
    }
  }
  if (has('multi-node')) {
    const run = results.charla[0]!;
    run.multiNode = await attempt(`multi-node: charla sync=${run.sync}`, () => runMultiNode(o, run.sync));
  }
  // The web app in Chromium (its own server in this process; see bench/scenarios/web.ts).
  const web: Outcome<WebResult> | undefined = has('web') ? await attempt('web: chromium', () => runWeb(o)) : undefined;
  // One room of 50 on one `charla sfu` process, in a loopback-only namespace (bench/rooms.ts).
  const rooms: Outcome<RoomsResult> | undefined = has('rooms') ? await attempt('rooms: one SFU process, synthetic participants', () => runRooms(o.quick)) : undefined;
  const resultsDir = join(REPO, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  if (o.profile) {
    const dir = join(resultsDir, `profile-${stamp}`);
    const run = results.charla[0]!;
    results.profile = { dir };
    const profiled = async (name: 'oneToOne' | 'group', fn: (t: Target) => Promise<unknown>): Promise<void> => {
      const sub = join(dir, name);
      await attempt(`profile ${name}: charla sync=${run.sync}`, () => against(charla(run, sub), fn));
      const file = newestProfile(sub);
      if (file) results.profile![name] = summarizeProfile(file);
    };
    await profiled('oneToOne', (t) => runOneToOne('charla', t.label, [t.url], [t.pid], o));
    await profiled('group', (t) => runGroup('charla', t.label, [t.url], [t.pid], o));
  }

  results.durationMs = performance.now() - t0;
  results.loadAverageAfter = loadavg().map((l) => Math.round(l * 100) / 100);
  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify({ ...results, ...(web ? { web } : {}), ...(rooms ? { rooms } : {}) }, null, 2));
  const out = [header(results), '', summaryTable(results), '', detailTable(results)];
  if (results.profile?.oneToOne) out.push('', profileMarkdown('Profile: 1:1 (max, then half rate)', results.profile.oneToOne));
  if (results.profile?.group) out.push('', profileMarkdown('Profile: group fan-out (rising rates)', results.profile.group));
  if (web) out.push('', webMarkdown(web));
  if (rooms) out.push('', 'error' in rooms ? `Rooms: FAILED: ${rooms.error}` : roomsMarkdown(rooms));
  out.push('', `JSON: ${file}`);
  console.log(out.join('\n'));
  const failed = [
    results.connections?.relay, results.connections?.charla, ...oneToOneRunsOf(results.relay), results.relay.group,
    ...results.charla.flatMap((r) => [...oneToOneRunsOf(r), r.group, r.multiNode]),
  ]
    .some((x) => x !== undefined && 'error' in (x as object)) || (web !== undefined && 'error' in web) || (rooms !== undefined && 'error' in rooms);
  if (failed) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`${signal}: stopping every process the bench started`);
    killAll();
    process.exit(130);
  });
}
main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}).finally(() => killAll());
