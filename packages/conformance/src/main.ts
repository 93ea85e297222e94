/**
 * `npm run conformance -- --server URL [--json] [--only TEXT]`: runs the conformance suite against a
 * running Charla server and exits 1 if any case fails.
 */
import { parseArgs } from 'node:util';
import type { CaseResult } from './case.ts';
import { runSuite } from './runner.ts';
import { ALL_CASES, caseName } from './suite.ts';

const HELP = `Usage: npm run conformance -- --server URL [options]

Runs the Charla protocol conformance suite (docs/protocol/spec.md) against a server.
It registers throwaway accounts (usernames starting with "cf-"), so point it at a test server.

Options:
  --server URL   base URL of the server, e.g. http://127.0.0.1:8080 (required)
  --only TEXT    run only cases whose rule or title contains TEXT (e.g. --only SEND-)
  --json         print results as JSON instead of text
  --help         show this help
`;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || values.server === undefined) {
  process.stdout.write(HELP);
  process.exitCode = values.help ? 0 : 2;
} else {
  const base = new URL(values.server);
  const only = values.only;
  const cases = only === undefined ? ALL_CASES : ALL_CASES.filter((c) => caseName(c).includes(only));
  const print = (r: CaseResult): void => {
    if (values.json) return;
    const mark = r.status === 'pass' ? 'PASS' : r.status === 'skip' ? 'SKIP' : 'FAIL';
    process.stdout.write(`${mark} ${caseName(r)} (${r.ms} ms)${r.message ? `\n     ${r.message}` : ''}\n`);
  };
  const started = performance.now();
  const results = await runSuite(base, cases, print);
  const count = (s: CaseResult['status']): number => results.filter((r) => r.status === s).length;
  const summary = { server: base.href, pass: count('pass'), fail: count('fail'), skip: count('skip'), ms: Math.round(performance.now() - started) };
  if (values.json) process.stdout.write(`${JSON.stringify({ summary, results }, null, 2)}\n`);
  else process.stdout.write(`\n${summary.pass} passed, ${summary.fail} failed, ${summary.skip} skipped in ${summary.ms} ms\n`);
  process.exitCode = summary.fail > 0 ? 1 : 0;
}
