export type { Case, CaseResult, CaseStatus } from './case.ts';
export { ALL_CASES, caseName } from './suite.ts';
export { runCase, runSuite } from './runner.ts';
export { Context, type Device, type User } from './harness/context.ts';
export { Connection } from './harness/connection.ts';
export { HttpClient } from './harness/http-client.ts';
