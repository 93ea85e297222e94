import {
  AuthResult,
  CommitResult,
  CreateGroupResult,
  decodeFrame,
  decodeTextFrame,
  encodeFrame,
  GroupInfoResult,
  PROTOCOL_VERSION,
  SendResult,
  ServerFrame,
  type EventFrame,
  type WireError,
} from '@charla/protocol';
import { CaseFailure, ProtocolViolation, describe } from './failures.ts';

export interface Received {
  header: Record<string, unknown> & { t: string };
  body: Uint8Array | null;
}
export interface Ev {
  header: EventFrame;
  body: Uint8Array | null;
}
export type ErrAnswer = WireError & { epoch?: number };
export type Answer = { ok: true; result: Record<string, unknown> } | { ok: false; error: ErrAnswer };

/** Result schemas of `ok` answers, by request type ([WS-3]). */
const RESULTS: Record<string, { safeParse(v: unknown): { success: boolean; error?: { message: string } } }> = {
  auth: AuthResult,
  createGroup: CreateGroupResult,
  commit: CommitResult,
  send: SendResult,
  groupInfo: GroupInfoResult,
};
/** Event kinds that carry MLS bytes ([DEL-3]). */
const KINDS_WITH_BODY = new Set(['commit', 'welcome', 'app']);

interface Waiter {
  match(frame: Received): boolean;
  resolve(frame: Received): void;
}

/**
 * One raw WebSocket connection. Every frame the server sends is decoded and validated against the
 * protocol; anything off is recorded in `violations`, which the harness turns into a failure.
 */
export class Connection {
  readonly socket: WebSocket;
  readonly label: string;
  readonly violations: string[] = [];
  /** Every frame received, in order. */
  readonly frames: Received[] = [];
  /** Events not yet taken by `takeEvent`. */
  private inbox: Ev[] = [];
  /** `err` frames without id, and answers to ids nobody waits for (raw frames sent by fuzzing). */
  readonly stray: Received[] = [];
  private pending = new Map<number, { type: string; resolve(a: Answer): void; reject(e: Error): void }>();
  private waiters: Waiter[] = [];
  private lastSeq = new Map<string, number>();
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;
  isClosed = false;

  private constructor(socket: WebSocket, label: string) {
    this.socket = socket;
    this.label = label;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data));
    this.closed = new Promise((resolve) => {
      socket.addEventListener('close', (e: CloseEvent) => {
        this.isClosed = true;
        for (const p of this.pending.values()) p.reject(new CaseFailure(`${label}: connection closed (${e.code} ${e.reason}) before the answer`));
        this.pending.clear();
        resolve({ code: e.code, reason: e.reason });
      });
    });
  }

  static open(wsUrl: URL, label: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl);
      const conn = new Connection(socket, label);
      socket.addEventListener('open', () => resolve(conn), { once: true });
      socket.addEventListener('error', () => reject(new CaseFailure(`${label}: WebSocket to ${wsUrl.href} failed`)), { once: true });
    });
  }

  /** Sends a frame: binary [WS-2] when it has a body (or `binary` is set), text otherwise. */
  send(header: object, body?: Uint8Array | readonly Uint8Array[], binary = false): void {
    if (body !== undefined || binary) this.socket.send(encodeFrame(header, body));
    else this.socket.send(JSON.stringify(header));
  }

  sendRaw(data: Uint8Array | string): void {
    this.socket.send(data);
  }

  /** Sends a request with a fresh id and waits for its `ok` or `err` ([WS-3]). */
  request(header: Record<string, unknown> & { t: string }, body?: Uint8Array | readonly Uint8Array[], timeoutMs = 10_000): Promise<Answer> {
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CaseFailure(`${this.label}: no answer to ${header.t} (id ${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        type: header.t,
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (this.isClosed) {
        this.pending.get(id)?.reject(new CaseFailure(`${this.label}: connection is closed`));
        this.pending.delete(id);
        return;
      }
      this.send({ ...header, id }, body);
    });
  }

  /** A request that must succeed; returns the `ok` frame's fields. */
  async ok(header: Record<string, unknown> & { t: string }, body?: Uint8Array | readonly Uint8Array[]): Promise<Record<string, unknown>> {
    const answer = await this.request(header, body);
    if (!answer.ok) throw new CaseFailure(`${this.label}: ${header.t} failed with ${answer.error.code}: ${answer.error.message}`);
    return answer.result;
  }

  /** A request that must fail with `code`. */
  async err(header: Record<string, unknown> & { t: string }, code: string, body?: Uint8Array | readonly Uint8Array[]): Promise<ErrAnswer> {
    const answer = await this.request(header, body);
    if (answer.ok) throw new CaseFailure(`${this.label}: ${header.t} expected ${code}, got ok ${describe(answer.result)}`);
    if (answer.error.code !== code) throw new CaseFailure(`${this.label}: ${header.t} expected ${code}, got ${answer.error.code}: ${answer.error.message}`);
    return answer.error;
  }

  async auth(token: string): Promise<{ userId: string; deviceId: string }> {
    const result = await this.ok({ t: 'auth', token, protocol: PROTOCOL_VERSION });
    return result as { userId: string; deviceId: string };
  }

  /** Waits for the first frame received from now on (or already received, if `past`) that matches. */
  waitFor(match: (f: Received) => boolean, what: string, timeoutMs = 10_000, past = true): Promise<Received> {
    if (past) {
      const found = this.frames.find(match);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CaseFailure(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitSynced(timeoutMs = 10_000): Promise<Received> {
    return this.waitFor((f) => f.header.t === 'synced', 'synced', timeoutMs);
  }

  /** Takes (removes from the inbox) the first event matching, waiting for it if needed. */
  async takeEvent(match: (e: Ev) => boolean, what: string, timeoutMs = 10_000): Promise<Ev> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new CaseFailure(`${this.label}: timed out after ${timeoutMs} ms waiting for event ${what}; inbox: ${describe(this.inbox.map((e) => e.header))}`);
      await this.waitFor((f) => f.header.t === 'ev', what, left, false).catch(() => undefined);
    }
  }

  /** Every event received so far for a group (taken or not), in arrival order. */
  eventsOf(groupId: string): EventFrame[] {
    return this.frames.filter((f) => f.header.t === 'ev' && f.header.groupId === groupId).map((f) => f.header as unknown as EventFrame);
  }

  close(): Promise<unknown> {
    if (!this.isClosed) this.socket.close(1000);
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, 2_000))]);
  }

  private onMessage(data: unknown): void {
    let raw;
    try {
      raw = typeof data === 'string' ? decodeTextFrame(data) : decodeFrame(new Uint8Array(data as ArrayBuffer));
    } catch (e) {
      this.violations.push(`[WS-2] undecodable server frame: ${(e as Error).message}`);
      return;
    }
    const parsed = ServerFrame.safeParse(raw.header);
    if (!parsed.success) {
      this.violations.push(`server frame ${describe(raw.header)} does not match ws-server-frame.json: ${parsed.error.message}`);
      return;
    }
    const frame: Received = { header: raw.header as Received['header'], body: raw.body };
    this.frames.push(frame);
    const h = parsed.data;
    if (h.t === 'ev') this.onEvent(h, raw.body);
    if ((h.t === 'ok' || h.t === 'err') && h.id !== undefined && this.pending.has(h.id)) {
      const p = this.pending.get(h.id)!;
      this.pending.delete(h.id);
      if (h.t === 'ok') {
        const schema = RESULTS[p.type];
        const result = schema?.safeParse(raw.header);
        if (result && !result.success) {
          const message = `ok answer to ${p.type} ${describe(raw.header)} does not match ws-result: ${result.error?.message}`;
          this.violations.push(message);
          p.reject(new ProtocolViolation(message));
        } else {
          p.resolve({ ok: true, result: raw.header as Record<string, unknown> });
        }
      } else {
        p.resolve({ ok: false, error: h as ErrAnswer });
      }
    } else if (h.t === 'ok' || h.t === 'err') {
      this.stray.push(frame);
    }
    for (const w of [...this.waiters]) {
      if (w.match(frame)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(frame);
      }
    }
  }

  private onEvent(h: EventFrame, body: Uint8Array | null): void {
    if (KINDS_WITH_BODY.has(h.kind) && body === null) this.violations.push(`[DEL-3] ${h.kind} event seq ${h.seq} has no body`);
    if (!h.ephemeral) {
      const last = this.lastSeq.get(h.groupId) ?? 0;
      if (h.seq <= last) this.violations.push(`[DEL-4] event seq ${h.seq} of group ${h.groupId} after seq ${last} on the same connection`);
      this.lastSeq.set(h.groupId, h.seq);
    }
    this.inbox.push({ header: h, body });
  }
}
