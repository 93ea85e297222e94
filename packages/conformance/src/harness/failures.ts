/** Why a case did not pass. A violation means the server broke a schema or rule, not just a case's expectation. */
export class CaseFailure extends Error {
  override name = 'CaseFailure';
}

/** The server answered something that does not match the protocol schemas. */
export class ProtocolViolation extends CaseFailure {
  override name = 'ProtocolViolation';
}

/** The case cannot run against this server (e.g. registration is invite-only); not a failure. */
export class CaseSkipped extends Error {
  override name = 'CaseSkipped';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CaseFailure(message);
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return text === undefined ? String(value) : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
