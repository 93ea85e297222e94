import type {
  EventFrame} from '@charla/protocol';
import {
  decodeFrame,
  decodeTextFrame,
  encodeFrame,
  ErrorCodes,
  isErrorCode,
  PROTOCOL_VERSION,
  ServerFrame,
  type ClientFrame,
} from '@charla/protocol';
import { ApiError, NetworkError } from './errors.ts';
import { Emitter } from './emitter.ts';

export type ConnectionState = 'offline' | 'connecting' | 'online';

export interface ConnectionEvents {
  state: ConnectionState;
  event: { frame: EventFrame; body: Uint8Array | null };
  synced: undefined;
  /** An `err` frame that answered no request (e.g. rate limiting of an ack). */
  error: ApiError;
}

const PING_INTERVAL_MS = 25_000;

type Outgoing = ClientFrame extends infer F ? (F extends { id: number } ? Omit<F, 'id'> : F) : never;

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export interface ConnectionOptions {
  baseUrl: string;
  token: string;
  /** Reconnect with backoff after a drop (default true). */
  reconnect?: boolean;
  /** Delay before the first reconnect attempt; doubles up to 10 s. */
  minBackoffMs?: number;
}

/**
 * One WebSocket per device: authenticates, correlates requests with answers, hands server-pushed
 * events to the client in order, and reconnects after a drop. After each (re)connect the server
 * replays everything after the device's acked cursors, then sends `synced`.
 */
export class Connection extends Emitter<ConnectionEvents> {
  readonly #options: Required<ConnectionOptions>;
  #socket: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #state: ConnectionState = 'offline';
  #closedByUser = false;
  #backoff: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #opening: Promise<void> | undefined;
  #pinger: ReturnType<typeof setInterval> | undefined;

  constructor(options: ConnectionOptions) {
    super();
    this.#options = { reconnect: true, minBackoffMs: 250, ...options };
    this.#backoff = this.#options.minBackoffMs;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Opens the socket and authenticates; resolves when the server accepted the token. */
  open(): Promise<void> {
    this.#closedByUser = false;
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  close(): void {
    this.#closedByUser = true;
    if (this.#pinger) clearInterval(this.#pinger);
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.close(1000);
    this.#setState('offline');
  }

  /** Sends a request frame and resolves with the `ok` frame's fields, or rejects with ApiError. */
  request(frame: Outgoing, body?: Uint8Array | readonly Uint8Array[]): Promise<Record<string, unknown>> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.#state !== 'online') {
      return Promise.reject(new NetworkError('not connected'));
    }
    return this.#send(socket, frame, body);
  }

  /** Fire-and-forget frame (acks). Silently dropped while offline: the server re-sends what is unacked. */
  notify(frame: Outgoing): void {
    const socket = this.#socket;
    if (socket && socket.readyState === WebSocket.OPEN && this.#state === 'online') socket.send(JSON.stringify(frame));
  }

  #send(socket: WebSocket, frame: Outgoing, body?: Uint8Array | readonly Uint8Array[]): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const header = { ...frame, id };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      socket.send(body === undefined ? JSON.stringify(header) : encodeFrame(header, body));
    });
  }

  async #connect(): Promise<void> {
    this.#setState('connecting');
    const url = this.#options.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + '/v1/ws';
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    socket.addEventListener('message', (message) => this.#onMessage(message.data as ArrayBuffer | string));
    socket.addEventListener('close', (event) => this.#onClose(socket, event.code, event.reason));
    await new Promise<void>((resolve, reject) => {
      const onOpen = (): void => {
        socket.removeEventListener('error', onError);
        resolve();
      };
      const onError = (): void => {
        socket.removeEventListener('open', onOpen);
        reject(new NetworkError(`cannot connect to ${url}`));
      };
      socket.addEventListener('open', onOpen, { once: true });
      socket.addEventListener('error', onError, { once: true });
    });
    try {
      await this.#send(socket, { t: 'auth', token: this.#options.token, protocol: PROTOCOL_VERSION });
    } catch (error) {
      // A refused token is final: do not loop reconnecting with it.
      this.#closedByUser = error instanceof ApiError;
      socket.close(1000);
      throw error;
    }
    this.#backoff = this.#options.minBackoffMs;
    // [WS-9] Keep idle connections (and the NAT and proxies between) alive.
    this.#pinger = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) this.#send(socket, { t: 'ping' }).catch(() => undefined);
    }, PING_INTERVAL_MS);
    this.#setState('online');
  }

  #onMessage(data: ArrayBuffer | string): void {
    let raw;
    try {
      raw = typeof data === 'string' ? decodeTextFrame(data) : decodeFrame(new Uint8Array(data));
    } catch {
      return; // a server that sends garbage is ignored frame by frame
    }
    const parsed = ServerFrame.safeParse(raw.header);
    if (!parsed.success) return;
    const frame = parsed.data;
    switch (frame.t) {
      case 'ok': {
        const pending = this.#pending.get(frame.id);
        this.#pending.delete(frame.id);
        pending?.resolve(frame);
        return;
      }
      case 'err': {
        const code = isErrorCode(frame.code) ? frame.code : 'INTERNAL';
        const extra: { retryAfterMs?: number; epoch?: number } = {};
        if (frame.retryAfterMs !== undefined) extra.retryAfterMs = frame.retryAfterMs;
        if (frame.epoch !== undefined) extra.epoch = frame.epoch;
        const error = new ApiError(code, frame.message, ErrorCodes[code].status, extra);
        const pending = frame.id === undefined ? undefined : this.#pending.get(frame.id);
        if (pending && frame.id !== undefined) {
          this.#pending.delete(frame.id);
          pending.reject(error);
        } else this.emit('error', error);
        return;
      }
      case 'ev':
        this.emit('event', { frame, body: raw.body });
        return;
      case 'synced':
        this.emit('synced', undefined);
        return;
    }
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    if (this.#pinger) clearInterval(this.#pinger);
    // [WS-11] A revoked device or an expired session must not keep retrying with the same token.
    if (code === 4403 || reason === 'DEVICE_REVOKED' || reason === 'TOKEN_EXPIRED') {
      this.#closedByUser = true;
      this.emit('error', new ApiError(reason === 'TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'DEVICE_REVOKED', reason || 'device revoked', 401));
    }
    for (const pending of this.#pending.values()) pending.reject(new NetworkError('connection closed'));
    this.#pending.clear();
    this.#setState('offline');
    if (this.#closedByUser || !this.#options.reconnect) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, 10_000);
    this.#timer = setTimeout(() => {
      this.open().catch(() => undefined);
    }, delay);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
