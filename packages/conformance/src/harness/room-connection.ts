import { RoomServerFrame } from '@charla/protocol';
import { CaseFailure, describe } from './failures.ts';

export type RoomFrame = Record<string, unknown> & { t: string };

/**
 * One raw room WebSocket (/v1/rooms/ws, [ROOM-3]): JSON text frames. Every frame the server sends
 * is validated against RoomServerFrame; anything off is recorded in `violations`.
 */
export class RoomConnection {
  readonly socket: WebSocket;
  readonly label: string;
  readonly violations: string[] = [];
  readonly frames: RoomFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match(f: RoomFrame): boolean; resolve(f: RoomFrame): void }[] = [];
  private nextId = 1;

  private constructor(socket: WebSocket, label: string) {
    this.socket = socket;
    this.label = label;
    socket.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data));
    this.closed = new Promise((resolve) => socket.addEventListener('close', (e: CloseEvent) => resolve({ code: e.code, reason: e.reason })));
  }

  static open(base: URL, label: string): Promise<RoomConnection> {
    const url = new URL('/v1/rooms/ws', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const conn = new RoomConnection(socket, label);
      socket.addEventListener('open', () => resolve(conn), { once: true });
      socket.addEventListener('error', () => reject(new CaseFailure(`${label}: WebSocket to ${url.href} failed`)), { once: true });
    });
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') {
      this.violations.push('a binary frame on the room socket');
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.violations.push('a frame that is not JSON');
      return;
    }
    const parsed = RoomServerFrame.safeParse(frame);
    if (!parsed.success) this.violations.push(`frame outside room-server-frame: ${describe(frame)} (${parsed.error.issues[0]?.message ?? ''})`);
    const f = frame as RoomFrame;
    this.frames.push(f);
    this.waiters = this.waiters.filter((w) => (w.match(f) ? (w.resolve(f), false) : true));
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The first frame (already received or future) matching `match`. */
  waitFor(match: (f: RoomFrame) => boolean, what: string, timeoutMs = 10_000): Promise<RoomFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new CaseFailure(`${this.label}: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Sends a frame with a fresh id; resolves with the frame answering it (ok, err, joined or lobby). */
  request(frame: RoomFrame): Promise<RoomFrame> {
    const id = this.nextId++;
    const answer = this.waitFor((f) => ['ok', 'err', 'joined', 'lobby'].includes(f.t) && f.id === id, `answer to ${frame.t} (id ${id})`);
    this.send({ ...frame, id });
    return answer;
  }

  async ok(frame: RoomFrame): Promise<RoomFrame> {
    const a = await this.request(frame);
    if (a.t === 'err') throw new CaseFailure(`${this.label}: ${frame.t} failed with ${String(a.code)}: ${String(a.message)}`);
    return a;
  }

  async err(frame: RoomFrame, code: string): Promise<RoomFrame> {
    const a = await this.request(frame);
    if (a.t !== 'err' || a.code !== code) throw new CaseFailure(`${this.label}: ${frame.t} expected ${code}, got ${describe(a)}`);
    return a;
  }

  close(): Promise<unknown> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.socket.close();
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000))]);
  }
}
