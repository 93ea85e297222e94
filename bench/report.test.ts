import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, oneToOneMedianRows } from './report.ts';
import type { OneToOneResult, Step } from './scenarios/traffic.ts';

const latency = (p99: number) => ({ count: 1, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2, mean: p99 / 4 });

function step(messagesPerSec: number, p99: number, offeredRate: number | null = null): Step {
  return {
    mode: offeredRate === null ? 'closed' : 'open', offeredRate, sent: messagesPerSec * 5, measureMs: 5_000, deliveries: messagesPerSec * 5,
    deliveriesPerSec: messagesPerSec, messagesPerSec, latency: latency(p99), latencySameNode: latency(p99), latencyCrossNode: latency(0),
    sendFailures: 0, maxSchedulerLagMs: 0, generatorLoopDelayP99Ms: 0, generatorCpuPct: 50, serverCpuPct: 90, undelivered: 0, errors: {},
  };
}

function run(max: number, halfP99: number, rateP99s: number[] = []): OneToOneResult {
  return { target: 't', setupMs: 1, max: step(max, 50), half: step(max / 2, halfP99, max / 2), rates: rateP99s.map((p) => step(15_000, p, 15_000)) };
}

/** The cells of a markdown row. */
const cells = (row: string): string[] => row.split('|').slice(1, -1).map((c) => c.trim());

test('median: the middle value, the mean of the middle two, NaN for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test('--runs summary: medians over the runs, the ratio from each run against its own relay run', () => {
  const charla = [run(30_000, 36, [12]), run(40_000, 16, [30]), run(35_000, 19, [14])];
  const relay = [run(60_000, 5, [3]), run(60_000, 6, [3]), run(70_000, 4, [3])];
  const [max, half, rate] = oneToOneMedianRows('sync=full', charla, relay).map(cells);
  // Ratios 50 %, 66.7 %, 50 %: the median is 50.0 %, not median(charla) / median(relay) = 35,000 / 60,000.
  assert.match(max![2]!, /^35,000 \(runs: 30,000, 40,000, 35,000\)$/);
  assert.match(max![3]!, /^60,000 /);
  assert.match(max![4]!, /^50\.0 % \(runs: 50\.0 %, 66\.7 %, 50\.0 %\)$/);
  assert.equal(max![6], 'yes');
  assert.match(half![2]!, /^19 ms \(runs: 36 ms, 16 ms, 19 ms;/);
  assert.equal(half![6], 'yes (2 of 3 runs)');
  assert.match(rate![1]!, /15,000\/s/);
  assert.match(rate![2]!, /^14 ms/);
});

test('--runs summary: a failed run is missing from the medians, and the target is judged on the rest', () => {
  const charla = [run(30_000, 36), { error: 'server crashed' }, run(20_000, 40)];
  const relay = [run(60_000, 5), run(60_000, 5), run(60_000, 5)];
  const [max, half] = oneToOneMedianRows('sync=full', charla, relay).map(cells);
  assert.match(max![1]!, /median of 2 of 3 runs/);
  assert.match(max![2]!, /^25,000 \(runs: 30,000, failed, 20,000\)$/);
  assert.match(max![4]!, /^41\.7 %/);
  assert.equal(max![6], 'no');
  assert.equal(half![6], 'no (0 of 2 runs)');
  const none = oneToOneMedianRows('sync=full', [{ error: 'boom' }], relay).map(cells);
  assert.equal(none.length, 1);
  assert.match(none[0]![2]!, /every run failed: boom/);
});
