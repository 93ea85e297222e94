import { RoomServerFrame, type RoomClientFrame } from '@charla/protocol';

/** A request frame without its id: the socket numbers requests itself. */
export type RoomRequest = RoomClientFrame extends infer F ? (F extends { id?: number } ? Omit<F, 'id'> : never) : never;
type ServerFrame = RoomServerFrame;

/** A room request the server refused (`err` with a declared code), or a closed socket. */
export class RoomError extends Error {
  override name = 'RoomError';
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, retryAfterMs?: number) {
    super(message);
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

const REQUEST_TIMEOUT_MS = 30_000;
const PING_INTERVAL_MS = 5_000;
/**
 * No frame at all for this long after a ping: the path is dead even if the socket does not know
 * it yet. Generous, because a starved page (a busy machine, a background tab) is not a dead path.
 */
const PING_TIMEOUT_MS = 15_000;
const MAX_FRAME_CHARS = 200_000;
/** A socket that neither opens nor fails (a black-holed network) is given up after this long. */
const CONNECT_TIMEOUT_MS = 10_000;

type Pending = { resolve: (frame: ServerFrame) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> };

/**
 * One `/v1/rooms/ws` connection: validates every server frame with zod, numbers requests and
 * matches their `ok`/`err`, and pings so a silently dead path (the network went away) is noticed.
 * It does not reconnect: RoomSession opens a new one with its resume token.
 */
export class RoomSocket {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #lastPong = Date.now();
  #closed = false;
  readonly #onFrame: (frame: ServerFrame) => void;
  readonly #onClose: (reason: string) => void;
  readonly opened: Promise<void>;

  constructor(serverUrl: string, handlers: { onFrame: (frame: ServerFrame) => void; onClose: (reason: string) => void; onInvalid?: (error: unknown) => void }) {
    this.#onFrame = handlers.onFrame;
    this.#onClose = handlers.onClose;
    const url = new URL(`${serverUrl.replace(/\/+$/, '')}/v1/rooms/ws`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.#ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new RoomError('NETWORK', 'the room server did not answer'));
        this.close();
      }, CONNECT_TIMEOUT_MS);
      this.#ws.addEventListener('open', () => (clearTimeout(timer), resolve()), { once: true });
      this.#ws.addEventListener('close', () => (clearTimeout(timer), reject(new RoomError('NETWORK', 'could not reach the room server'))), { once: true });
    });
    this.opened.catch(() => undefined);
    this.#ws.addEventListener('message', (event) => {
      if (typeof event.data !== 'string' || event.data.length > MAX_FRAME_CHARS) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch (error) {
        handlers.onInvalid?.(error);
        return;
      }
      const result = RoomServerFrame.safeParse(parsed);
      if (!result.success) {
        handlers.onInvalid?.(result.error);
        return;
      }
      this.#lastPong = Date.now();
      this.#dispatch(result.data);
    });
    this.#ws.addEventListener('close', () => this.#closedNow('socket closed'));
    this.#ws.addEventListener('open', () => {
      this.#pinger = setInterval(() => this.#ping(), PING_INTERVAL_MS);
    });
  }

  /** Sends a frame that needs no answer. */
  send(frame: RoomClientFrame): void {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(JSON.stringify(frame));
  }

  /**
   * Sends a request and resolves with the frame that answers it: `ok` (or, for `join`, `joined` or
   * `lobby`), rejecting with RoomError on `err`.
   */
  request(frame: RoomRequest): Promise<ServerFrame> {
    if (this.#closed) return Promise.reject(new RoomError('NETWORK', 'not connected to the room'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RoomError('TIMEOUT', `no answer to ${frame.t}`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.send({ ...frame, id } as RoomClientFrame);
    });
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.#ws.close(1000);
    } catch {
      // already closing
    }
    this.#closedNow('closed');
  }

  #dispatch(frame: ServerFrame): void {
    const id = 'id' in frame ? frame.id : undefined;
    if (id !== undefined) {
      const pending = this.#pending.get(id);
      if (pending) {
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        if (frame.t === 'err') pending.reject(new RoomError(frame.code, frame.message, frame.retryAfterMs));
        else pending.resolve(frame);
        // `joined` and `lobby` also change the session's state: they go on to the handler.
        if (frame.t === 'ok' || frame.t === 'err') return;
      }
    }
    this.#onFrame(frame);
  }

  #ping(): void {
    if (Date.now() - this.#lastPong > PING_TIMEOUT_MS + PING_INTERVAL_MS) {
      try {
        this.#ws.close(4000, 'ping timeout');
      } catch {
        // ignore
      }
      this.#closedNow('ping timeout');
      return;
    }
    this.request({ t: 'ping' }).catch(() => undefined);
  }

  #closedNow(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pinger) clearInterval(this.#pinger);
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new RoomError('NETWORK', 'the room connection closed'));
    }
    this.#pending.clear();
    this.#onClose(reason);
  }
}
