import type { Case, CaseResult } from './case.ts';
import { Context } from './harness/context.ts';
import { CaseSkipped } from './harness/failures.ts';

/** Runs one case in a fresh context; never throws: a thrown error is the case's failure. */
export async function runCase(base: URL, c: Case): Promise<CaseResult> {
  const started = performance.now();
  const done = (status: CaseResult['status'], message?: string): CaseResult => ({
    rule: c.rule,
    title: c.title,
    status,
    ...(message === undefined ? {} : { message }),
    ms: Math.round(performance.now() - started),
  });
  let ctx: Context | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    ctx = await Context.create(base);
    const context = ctx;
    const timeoutMs = c.timeoutMs ?? 20_000;
    await Promise.race([
      c.run(context),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    // Server frames that broke a schema fail the case even when its own checks passed.
    const violations = context.violations();
    if (violations.length > 0) return done('fail', `protocol violations: ${violations.join('; ')}`);
    return done('pass');
  } catch (e) {
    if (e instanceof CaseSkipped) return done('skip', e.message);
    const err = e as Error;
    const violations = ctx?.violations() ?? [];
    return done('fail', `${err.name}: ${err.message}${violations.length ? ` (also: ${violations.join('; ')})` : ''}`);
  } finally {
    clearTimeout(timer);
    await ctx?.dispose();
  }
}

export async function runSuite(base: URL, cases: readonly Case[], onResult?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(base, c);
    onResult?.(r);
    results.push(r);
  }
  return results;
}
