import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http, type HttpMethod, type HttpMethodName } from '@charla/protocol';
import { BadRequestError, CharlaError, UnauthenticatedError, toWireError } from '../errors.ts';
import type { Services } from '../services/services.ts';
import type { AuthContext } from '../services/context.ts';
import { HTTP_ROUTES } from '../api/http/routes.ts';
import { RESPONDED, type HttpCall, type HttpRoute } from '../api/http/types.ts';

const MAX_JSON_BYTES = 4 * 1024 * 1024;

interface Compiled {
  readonly name: HttpMethodName;
  readonly def: HttpMethod;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

function compile(name: HttpMethodName): Compiled {
  const def: HttpMethod = Http[name];
  const params: string[] = [];
  const source = def.path
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(seg.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { name, def, pattern: new RegExp(`^${source}$`), params };
}

const COMPILED: readonly Compiled[] = (Object.keys(Http) as HttpMethodName[]).map(compile);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) throw new BadRequestError(`request body larger than ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) throw new BadRequestError('request body required (JSON)');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new BadRequestError('request body is not JSON', error);
  }
}

function bearer(req: IncomingMessage): string {
  const h = req.headers.authorization;
  const m = h === undefined ? null : /^Bearer ([^\s]{1,256})$/i.exec(h);
  if (!m) throw new UnauthenticatedError('missing Authorization: Bearer <token>');
  return m[1]!;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/**
 * The HTTP side of the protocol: finds the method, authenticates, validates the body with the
 * method's schema, calls the handler and maps any error to the wire ([ERR-1]).
 */
export class Router {
  readonly #services: Services;
  readonly #validateOutputs: boolean;

  constructor(services: Services, validateOutputs: boolean) {
    this.#services = services;
    this.#validateOutputs = validateOutputs;
  }

  /** Returns the route label for metrics, or null if no protocol method matched. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<string | null> {
    let match: { c: Compiled; values: string[] } | undefined;
    for (const c of COMPILED) {
      if (c.def.method !== req.method) continue;
      const m = c.pattern.exec(path);
      if (m) {
        match = { c, values: m.slice(1) };
        break;
      }
    }
    if (!match) return null;
    const { c, values } = match;
    try {
      const params: Record<string, string> = {};
      try {
        c.params.forEach((p, i) => (params[p] = decodeURIComponent(values[i] ?? '')));
      } catch (error) {
        throw new BadRequestError('malformed percent-encoding in the path', error);
      }
      let auth: AuthContext | null = null;
      if (c.def.auth) auth = await this.#services.accounts.authenticate(bearer(req));
      const r = HTTP_ROUTES[c.name] as unknown as HttpRoute<HttpMethodName>;
      let body: unknown = null;
      if (c.def.request !== null) {
        const raw = await readJson(req);
        const parsed = c.def.request.safeParse(r.normalize ? r.normalize(raw) : raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new BadRequestError(issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid request body');
        }
        body = parsed.data;
      }
      const clientAddress = clientAddressOf(req, this.#services.ctx.config.trustProxy);
      const call = { services: this.#services, auth, body, params, req, res, clientAddress } as HttpCall<HttpMethodName>;
      const result = await r.handle(call);
      if (result === RESPONDED) return c.def.path;
      if (c.def.response === null) {
        res.writeHead(204).end();
      } else {
        if (this.#validateOutputs) c.def.response.parse(result);
        sendJson(res, 200, result);
      }
    } catch (error) {
      this.sendError(req, res, error);
    }
    return c.def.path;
  }

  sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const { ctx } = this.#services;
    const wire = toWireError(error);
    if (wire.body.code === 'INTERNAL') ctx.logger.error({ err: error, method: req.method }, 'request failed');
    ctx.metrics.errors.inc({ code: wire.body.code });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    if (wire.body.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(wire.body.retryAfterMs / 1000));
    // A body we did not read (a blob past the limit): answer, then discard the rest without
    // buffering, and close a few seconds later. No `Connection: close` here: Node would then end
    // the socket at once, and a client still writing its body gets EPIPE before it reads this answer.
    if (!req.complete) {
      req.resume();
      setTimeout(() => req.socket.destroy(), 5000).unref();
    }
    sendJson(res, wire.status, wire.body, headers);
  }
}

/**
 * Who is asking, for rate limits. Behind a trusted proxy the socket address is the proxy's; the
 * last X-Forwarded-For entry is the one that proxy appended (earlier ones the client could forge).
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').at(-1)?.trim();
  return last || (req.socket.remoteAddress ?? 'unknown');
}

export function notFound(res: ServerResponse): void {
  const wire = toWireError(new CharlaError('NOT_FOUND', 'no such method or resource'));
  sendJson(res, wire.status, wire.body);
}
