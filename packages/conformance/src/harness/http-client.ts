import { ErrFrame, ErrorCodes, Http, type ErrorCode, type HttpMethodName, type WireError } from '@charla/protocol';
import { CaseFailure, ProtocolViolation, describe } from './failures.ts';

/** [ERR-1] The body of a failed HTTP request: an `err` frame without `t` and `id`. */
const HttpErrorBody = ErrFrame.omit({ t: true, id: true });

export type HttpResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: WireError };

export interface CallOptions {
  token?: string;
  params?: Record<string, string>;
  /** JSON request body, or raw bytes for uploadBlob. Sent as is: cases send invalid bodies on purpose. */
  body?: unknown;
  /** Retry while the server answers RATE_LIMITED (default true): a suite registers many users from one IP. */
  retryRateLimited?: boolean;
}

/**
 * A raw HTTP client of the methods in `Http`. It validates every answer against the protocol:
 * success bodies against the method's response schema, failures against the error body schema and
 * the code's documented status.
 */
export class HttpClient {
  readonly base: URL;
  constructor(base: URL) {
    this.base = base;
  }

  url(path: string): URL {
    return new URL(path, this.base);
  }

  async call<N extends HttpMethodName>(name: N, options: CallOptions = {}): Promise<HttpResult<unknown>> {
    const method = Http[name];
    let path: string = method.path;
    for (const [k, v] of Object.entries(options.params ?? {})) path = path.replace(`:${k}`, encodeURIComponent(v));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await this.raw(method.method, path, options.body, options.token);
      if (res.status === 429 && options.retryRateLimited !== false && Date.now() < deadline) {
        const error = await parseError(res, name);
        await sleep(Math.min(Math.max(error.retryAfterMs ?? 500, 50), 5_000));
        continue;
      }
      if (!res.ok) return { ok: false, status: res.status, error: await parseError(res, name) };
      if (name === 'downloadBlob') return { ok: true, status: res.status, data: new Uint8Array(await res.arrayBuffer()) };
      if (method.response === null) {
        const text = await res.text();
        if (text.length > 0 && res.status !== 204) {
          // A body is tolerated for methods without a response schema, but it must be JSON.
          try {
            JSON.parse(text);
          } catch {
            throw new ProtocolViolation(`${name}: ${res.status} with a non-JSON body`);
          }
        }
        return { ok: true, status: res.status, data: null };
      }
      const json = await readJson(res, name);
      const parsed = method.response.safeParse(json);
      if (!parsed.success) throw new ProtocolViolation(`${name}: response ${describe(json)} does not match its schema: ${parsed.error.message}`);
      return { ok: true, status: res.status, data: parsed.data };
    }
  }

  async raw(verb: string, path: string, body?: unknown, token?: string, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      payload = body as Uint8Array<ArrayBuffer>;
      headers['content-type'] = contentType ?? 'application/octet-stream';
    } else if (typeof body === 'string') {
      payload = body;
      headers['content-type'] = contentType ?? 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return fetch(this.url(path), { method: verb, headers, body: payload });
  }
}

async function readJson(res: Response, name: string): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtocolViolation(`${name}: ${res.status} answer is not JSON: ${text.slice(0, 200)}`);
  }
}

/** [WS-5] An HTTP error must be the documented body with the status of its code. */
export async function parseError(res: Response, name: string): Promise<WireError> {
  const json = await readJson(res, name);
  const parsed = HttpErrorBody.safeParse(json);
  if (!parsed.success) throw new ProtocolViolation(`${name}: error body ${describe(json)} does not match http-error.json`);
  const error = parsed.data as WireError;
  const expected = ErrorCodes[error.code].status;
  if (res.status !== expected) throw new ProtocolViolation(`${name}: ${error.code} answered with HTTP ${res.status}, documented ${expected}`);
  return error;
}

export function expectOk<T>(result: HttpResult<T>, what: string): T {
  if (!result.ok) throw new CaseFailure(`${what}: expected success, got ${result.status} ${result.error.code}: ${result.error.message}`);
  return result.data;
}

export function expectHttpError(result: HttpResult<unknown>, code: ErrorCode, what: string): WireError {
  if (result.ok) throw new CaseFailure(`${what}: expected ${code}, got success ${describe(result.data)}`);
  if (result.error.code !== code) throw new CaseFailure(`${what}: expected ${code}, got ${result.error.code}: ${result.error.message}`);
  return result.error;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
