import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  ClientFrame, decodeFrame, decodeTextFrame, ErrorCodes, FRAMES_WITH_BODY, MAX_REQUEST_ID, PROTOCOL_VERSION, requestIdOf, ServerFrame, type ErrorCode,
} from '@charla/protocol';
import { BackendUnavailableError, BadRequestError, CharlaError, RateLimitedError, toWireError } from '../errors.ts';
import type { AuthContext } from '../services/context.ts';
import type { DeliveryTarget } from '../services/delivery.ts';
import type { Services } from '../services/services.ts';
import { TokenBucket } from '../services/rate-limit.ts';
import { WS_HANDLERS } from '../api/ws/handlers.ts';
import { corkForTurn } from './cork.ts';

const KNOWN_TYPES: ReadonlySet<string> = new Set(ClientFrame.options.map((o) => o.shape.t.value));
const AUTH_TIMEOUT_MS = 10_000;
/**
 * A client that stops reading must not make the server buffer its events without bound: past this
 * much unsent data the connection is closed (1013, try again later) and the device later resumes
 * from its acked cursor, losing nothing.
 */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/**
 * Sends of one connection in flight at once. They are not processed one after the other like
 * other frames: each joins the next group commit (services/append-batcher.ts) as it arrives, in
 * order, so a client with several unconfirmed messages gets them into one disk sync.
 */
const MAX_PIPELINED_SENDS = 64;
/** The protocol's GroupId (ids.ts), for the hand-checked ack below. */
const GROUP_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * [DEL-2] An ack frame checked by hand against AckFrame: every member acks every event, so this is
 * the most common frame. Anything it does not accept takes the full schema parse, which gives the
 * precise error (or accepts what this is too strict about).
 */
function quickAck(header: unknown): { groupId: string; seq: number; id: number | undefined } | undefined {
  if (typeof header !== 'object' || header === null) return undefined;
  const { groupId, seq, id } = header as { groupId?: unknown; seq?: unknown; id?: unknown };
  if (typeof groupId !== 'string' || !GROUP_ID.test(groupId)) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (id !== undefined && (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_REQUEST_ID)) return undefined;
  return { groupId, seq, id };
}

export interface ConnectionOptions {
  readonly services: Services;
  /** Per-device buckets shared by all of a device's connections on this node. */
  readonly buckets: Map<string, TokenBucket>;
  /** Tests: check every outgoing frame against the protocol schema. */
  readonly validateOutputs: boolean;
}

/** One WebSocket: auth first, then frames processed one at a time, in order ([WS-1], [WS-3]). */
export class Connection implements DeliveryTarget {
  readonly #ws: WebSocket;
  /** The TCP socket under #ws, corked while a turn's frames are written (null: never corked). */
  readonly #socket: Duplex | null;
  readonly #opts: ConnectionOptions;
  readonly #preAuthBucket: TokenBucket;
  #auth: AuthContext | null = null;
  #chain: Promise<void> = Promise.resolve();
  readonly #sends = new Set<Promise<void>>();
  #authTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, socket: Duplex | null, opts: ConnectionOptions) {
    this.#ws = ws;
    this.#socket = socket;
    this.#opts = opts;
    const { limits } = opts.services.ctx.config;
    this.#preAuthBucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst, opts.services.ctx.now());
    this.#authTimer = setTimeout(() => this.#fail(undefined, new CharlaError('NOT_AUTHENTICATED_YET', 'no auth frame in time')), AUTH_TIMEOUT_MS);
    this.#authTimer.unref();
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => this.#onClose());
    ws.on('error', () => this.#onClose());
  }

  get deviceId(): string {
    return this.#auth?.deviceId ?? '';
  }

  send(data: Uint8Array, binary: boolean, type: string): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#opts.validateOutputs) this.#checkOutput(data, binary);
    if (this.#ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#opts.services.ctx.logger.warn({ deviceId: this.deviceId }, 'slow consumer: closing');
      this.#ws.close(1013, 'SLOW_CONSUMER');
      return;
    }
    this.#opts.services.ctx.metrics.framesOut.at(type).inc();
    if (this.#socket !== null) corkForTurn(this.#socket);
    this.#ws.send(data, { binary });
  }

  /** [WS-11] Closing for a protocol reason (revocation) first tells the client why. */
  close(code: number, reason: string): void {
    if (Object.hasOwn(ErrorCodes, reason)) this.#sendError(undefined, new CharlaError(reason as ErrorCode, 'connection closed'));
    this.#ws.close(code, reason);
  }

  /** Resolves when the frames received so far are processed. */
  async idle(): Promise<void> {
    await this.#chain;
    await Promise.all(this.#sends);
  }

  bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  #onClose(): void {
    clearTimeout(this.#authTimer);
    this.#opts.services.hub.detach(this);
    // Its acks are written now rather than at the next interval: a reconnect to another node reads them.
    if (this.#auth) void this.#opts.services.acks.flush();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const { ctx } = this.#opts.services;
    const { limits } = ctx.config;
    // [WS-8] Too large: answered and dropped, the connection stays (up to ws's hard maxPayload).
    if (data.length > limits.maxFrameBytes) {
      ctx.metrics.framesIn.at('oversize').inc();
      return this.#sendError(undefined, new CharlaError('FRAME_TOO_LARGE', `frame larger than ${limits.maxFrameBytes} bytes`));
    }
    let header: unknown;
    let body: Uint8Array | null;
    try {
      ({ header, body } = isBinary ? decodeFrame(data) : decodeTextFrame(data.toString('utf8')));
    } catch (error) {
      ctx.metrics.framesIn.at('malformed').inc();
      return this.#sendError(undefined, new BadRequestError('frame is not a JSON header (text) or a length-prefixed header and body (binary)', error));
    }
    const id = requestIdOf(header);
    // [LIM-2] Each device has a token bucket (before auth, each connection has one).
    const bucket = this.#auth ? this.#deviceBucket(this.#auth.deviceId) : this.#preAuthBucket;
    const wait = bucket.take(ctx.now());
    if (wait > 0) {
      ctx.metrics.framesIn.at('rate_limited').inc();
      return this.#sendError(id, new RateLimitedError(wait));
    }
    const t = (header as { t?: unknown } | null)?.t;
    ctx.metrics.framesIn.at(typeof t === 'string' && KNOWN_TYPES.has(t) ? t : 'unknown').inc();
    // An ack that this node can take from memory is answered now, without waiting for the frames
    // before it: it changes nothing they depend on, and answers may come in any order ([WS-3]).
    if (t === 'ack' && body === null && this.#auth !== null && this.#auth.expiresAt > ctx.now() && this.#ws.readyState === this.#ws.OPEN) {
      const ack = quickAck(header);
      if (ack && this.#opts.services.groups.ackBuffered(this.#auth, ack.groupId, ack.seq)) {
        if (ack.id !== undefined) this.#sendOk(ack.id, {});
        return;
      }
    }
    // Serial processing keeps a device's frames in order and makes `auth` finish before the next frame.
    this.#chain = this.#chain.then(() => this.#process(header, body, id)).catch((error: unknown) => this.#failed(id, error));
  }

  #failed(id: number | undefined, error: unknown): void {
    if (!(error instanceof BackendUnavailableError)) return this.#sendError(id, error);
    // Unanswered on purpose: the client resends after reconnecting (same msgId, so no duplicate).
    this.#opts.services.ctx.logger.warn({ err: error, deviceId: this.#auth?.deviceId }, 'backend unavailable: closing the connection');
    this.#ws.close(1013, 'TRY_AGAIN_LATER');
  }

  async #process(header: unknown, body: Uint8Array | null, id: number | undefined): Promise<void> {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    if (typeof header !== 'object' || header === null || Array.isArray(header) || typeof (header as { t?: unknown }).t !== 'string') {
      throw new BadRequestError('frame header must be a JSON object with a string `t`');
    }
    const t = (header as { t: string }).t;
    if (!KNOWN_TYPES.has(t)) throw new CharlaError('UNKNOWN_FRAME_TYPE', `unknown frame type ${JSON.stringify(t.slice(0, 40))}`);
    if (!this.#auth && t !== 'auth') return this.#fail(id, new CharlaError('NOT_AUTHENTICATED_YET', 'the first frame must be auth'));
    const parsed = ClientFrame.safeParse(header);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BadRequestError(`invalid ${t} frame: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
    }
    const frame = parsed.data;
    // [WS-12] commit and send carry a body, other frames must not.
    if (FRAMES_WITH_BODY.has(frame.t) ? body === null || body.length === 0 : body !== null) {
      throw new BadRequestError(FRAMES_WITH_BODY.has(frame.t) ? `a ${frame.t} frame needs a body (binary frame)` : `a ${frame.t} frame has no body`);
    }
    if (frame.t === 'auth') return this.#authenticate(frame.token, frame.protocol, frame.id);
    const auth = this.#auth!;
    // [AUTH-8] A session that expires while connected ends the connection; the client logs in again.
    if (auth.expiresAt <= this.#opts.services.ctx.now()) return this.#fail(frame.id, new CharlaError('TOKEN_EXPIRED', 'the session token has expired; log in again'));
    const handler = WS_HANDLERS[frame.t] as (call: { services: Services; auth: AuthContext; frame: typeof frame; body: Uint8Array | null }) => Promise<Record<string, unknown>>;
    if (frame.t === 'send') {
      // Pipelined (see MAX_PIPELINED_SENDS): the send is queued for its group commit now, in
      // arrival order, and answered when its batch is durable; the next frame goes on meanwhile.
      while (this.#sends.size >= MAX_PIPELINED_SENDS) await Promise.race(this.#sends);
      const sent: Promise<void> = handler({ services: this.#opts.services, auth, frame, body })
        .then((result) => this.#sendOk(frame.id, result), (error: unknown) => this.#failed(frame.id, error))
        .finally(() => this.#sends.delete(sent));
      this.#sends.add(sent);
      return;
    }
    // Any other frame sees every send before it done (a commit must not overtake a send, [SEND-2]).
    if (this.#sends.size > 0) await Promise.all(this.#sends);
    const result = await handler({ services: this.#opts.services, auth, frame, body });
    if (frame.id !== undefined) this.#sendOk(frame.id, result);
  }

  /** `ok` with the result's fields; the header is built as a string (one per request). */
  #sendOk(id: number, result: Record<string, unknown>): void {
    const fields = JSON.stringify(result);
    this.send(Buffer.from(fields === '{}' ? `{"t":"ok","id":${id}}` : `{"t":"ok","id":${id},${fields.slice(1)}`), false, 'ok');
  }

  async #authenticate(token: string, protocol: number, id: number): Promise<void> {
    if (this.#auth) throw new BadRequestError('already authenticated');
    if (protocol !== PROTOCOL_VERSION) {
      return this.#fail(id, new CharlaError('UNSUPPORTED_VERSION', `this server speaks protocol ${PROTOCOL_VERSION}`));
    }
    const { services } = this.#opts;
    let auth: AuthContext;
    try {
      auth = await services.accounts.authenticate(token);
    } catch (error) {
      return this.#fail(id, error);
    }
    this.#auth = auth;
    clearTimeout(this.#authTimer);
    services.acks.seen(auth.deviceId, services.ctx.now());
    this.#sendOk(id, { userId: auth.userId, deviceId: auth.deviceId, serverTime: services.ctx.now() });
    // The backlog streams while later frames are processed; `synced` marks its end ([DEL-4]).
    services.hub.attach(this).catch((error: unknown) => {
      services.ctx.logger.error({ err: error, deviceId: auth.deviceId }, 'backlog delivery failed');
      this.#ws.close(1011, 'INTERNAL');
    });
  }

  #deviceBucket(deviceId: string): TokenBucket {
    let b = this.#opts.buckets.get(deviceId);
    if (!b) {
      const { config, now } = this.#opts.services.ctx;
      b = new TokenBucket(config.limits.framesPerSecond, config.limits.frameBurst, now());
      this.#opts.buckets.set(deviceId, b);
    }
    return b;
  }

  /** Answers with the error and closes: used when the connection cannot become (or stay) authenticated. */
  #fail(id: number | undefined, error: unknown): void {
    this.#sendError(id, error);
    const code = error instanceof CharlaError ? error.code : 'INTERNAL';
    this.#ws.close(1008, code);
  }

  #sendError(id: number | undefined, error: unknown): void {
    const { ctx } = this.#opts.services;
    const wire = toWireError(error);
    if (wire.body.code === 'INTERNAL') ctx.logger.error({ err: error, deviceId: this.#auth?.deviceId }, 'frame failed');
    ctx.metrics.errors.inc({ code: wire.body.code });
    this.#sendJson({ t: 'err', ...(id === undefined ? {} : { id }), ...wire.body }, 'err');
  }

  #sendJson(frame: Record<string, unknown>, type: string): void {
    this.send(Buffer.from(JSON.stringify(frame)), false, type);
  }

  #checkOutput(data: Uint8Array, binary: boolean): void {
    const header = binary ? decodeFrame(data).header : JSON.parse(Buffer.from(data).toString('utf8'));
    const r = ServerFrame.safeParse(header);
    if (!r.success) {
      this.#opts.services.ctx.logger.error({ issues: r.error.issues }, 'server sent a frame outside the protocol');
      throw new Error(`invalid server frame: ${r.error.message}`);
    }
  }
}
