import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Http, HttpMethodName } from '@charla/protocol';
import type { AuthContext } from '../../services/context.ts';
import type { Services } from '../../services/services.ts';

type Def<N extends HttpMethodName> = (typeof Http)[N];
type RequestOf<N extends HttpMethodName> = Def<N>['request'] extends z.ZodType ? z.infer<Def<N>['request']> : null;
type ResponseOf<N extends HttpMethodName> = Def<N>['response'] extends z.ZodType ? z.input<Def<N>['response']> : void;

/** Returned by handlers that wrote the response themselves (streamed bodies). */
export const RESPONDED: unique symbol = Symbol('responded');

export interface HttpCall<N extends HttpMethodName> {
  readonly services: Services;
  /** Set for methods with `auth: true`. */
  readonly auth: Def<N>['auth'] extends true ? AuthContext : null;
  readonly body: RequestOf<N>;
  readonly params: Readonly<Record<string, string>>;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly clientAddress: string;
}

/** One HTTP method: authenticate (done by the router) → one service call → the response. */
export interface HttpRoute<N extends HttpMethodName> {
  readonly name: N;
  /** Runs on the parsed JSON before validation (usernames are case-insensitive). */
  readonly normalize?: (body: unknown) => unknown;
  handle(call: HttpCall<N>): Promise<ResponseOf<N> | typeof RESPONDED>;
}

export function route<N extends HttpMethodName>(r: HttpRoute<N>): HttpRoute<N> {
  return r;
}

/** [ID-1] Usernames are case-insensitive: the server lowercases them before validating. */
export function lowercaseUsername(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && typeof (body as { username?: unknown }).username === 'string') {
    return { ...body, username: (body as { username: string }).username.toLowerCase() };
  }
  return body;
}
