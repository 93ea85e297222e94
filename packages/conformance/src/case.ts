import type { Context } from './harness/context.ts';

/** One conformance check, named by the spec rule it checks (docs/protocol/spec.md). */
export interface Case {
  readonly rule: string;
  readonly title: string;
  /** Default 20 s. */
  readonly timeoutMs?: number;
  run(ctx: Context): Promise<void>;
}

export type CaseStatus = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  rule: string;
  title: string;
  status: CaseStatus;
  message?: string;
  ms: number;
}
