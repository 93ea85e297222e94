import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { requestIdOf, RoomClientFrame, RoomServerFrame } from '@charla/protocol';
import { BadRequestError, CharlaError, RateLimitedError, toWireError } from '../errors.ts';
import { TokenBucket } from '../services/rate-limit.ts';
import type { LiveRoom, Member, RoomPeer } from './live-room.ts';

/** [ROOM-11] The largest room frame; an SDP offer or answer is the biggest thing a client sends. */
export const MAX_ROOM_FRAME_BYTES = 256 * 1024;
/** A socket must join (or reach the lobby) this soon after opening. */
export const ROOM_JOIN_TIMEOUT_MS = 10_000;

type JoinFrame = Extract<RoomClientFrame, { t: 'join' }>;

export interface RoomSocketHost {
  readonly validateOutputs: boolean;
  readonly framesPerSecond: number;
  readonly frameBurst: number;
  readonly joinTimeoutMs: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** Counts error answers (metrics). */
  readonly onError: (code: string) => void;
  /** Finds or opens the live room and joins it; throws a CharlaError to refuse. */
  join(socket: RoomSocket, frame: JoinFrame): Promise<{ room: LiveRoom; member: Member }>;
}

/**
 * One room WebSocket ([ROOM-3]): JSON text frames, validated with RoomClientFrame, processed one at
 * a time in order, rate limited by a token bucket, and answered with `ok`/`err` when they carry an
 * id. Frames reach the room only after the join succeeded.
 */
export class RoomSocket implements RoomPeer {
  readonly #ws: WebSocket;
  readonly #host: RoomSocketHost;
  readonly #bucket: TokenBucket;
  #chain: Promise<void> = Promise.resolve();
  #joined: { room: LiveRoom; member: Member } | null = null;
  #joinTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Heartbeat: set by a pong, cleared by each ping round. */
  alive = true;

  constructor(ws: WebSocket, host: RoomSocketHost) {
    this.#ws = ws;
    this.#host = host;
    this.#bucket = new TokenBucket(host.framesPerSecond, host.frameBurst, host.now());
    this.#joinTimer = setTimeout(() => {
      if (this.#joined) return;
      this.#sendError(undefined, new CharlaError('NOT_IN_ROOM', 'no join in time'));
      this.close(4008, 'join timeout');
    }, host.joinTimeoutMs);
    this.#joinTimer.unref();
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.#onClose());
    ws.on('error', () => this.#onClose());
  }

  send(frame: RoomServerFrame): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#host.validateOutputs) {
      const r = RoomServerFrame.safeParse(frame);
      if (!r.success) {
        this.#host.logger.error({ t: frame.t, issues: r.error.issues }, 'server sent a room frame outside the protocol');
        throw new Error(`invalid room frame ${frame.t}: ${r.error.message}`);
      }
    }
    this.#ws.send(JSON.stringify(frame));
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#ws.close(code, reason);
    this.#detach();
  }

  /** No pong since the last ping: the network is gone; the participant may resume ([ROOM-10]). */
  terminate(): void {
    this.#ws.terminate();
    this.#detach();
  }

  ping(): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }

  /** Resolves when the frames received so far are processed. */
  idle(): Promise<void> {
    return this.#chain;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    if (data.length > MAX_ROOM_FRAME_BYTES) {
      this.#sendError(undefined, new CharlaError('FRAME_TOO_LARGE', `frame larger than ${MAX_ROOM_FRAME_BYTES} bytes`));
      return;
    }
    if (isBinary) {
      this.#sendError(undefined, new BadRequestError('room frames are JSON text'));
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      this.#sendError(undefined, new BadRequestError('frame is not JSON'));
      return;
    }
    const id = requestIdOf(raw);
    const wait = this.#bucket.take(this.#host.now());
    if (wait > 0) {
      this.#sendError(id, new RateLimitedError(wait));
      return;
    }
    const parsed = RoomClientFrame.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#sendError(id, new BadRequestError(issue ? `${issue.path.join('.') || '(frame)'}: ${issue.message}` : 'invalid frame'));
      return;
    }
    const frame = parsed.data;
    this.#chain = this.#chain.then(() => this.#process(frame)).catch((error: unknown) => this.#sendError(requestIdOf(frame), error));
  }

  async #process(frame: RoomClientFrame): Promise<void> {
    if (this.#closed) return;
    const joined = this.#joined;
    if (frame.t === 'ping') {
      this.send({ t: 'ok', id: frame.id });
      return;
    }
    if (joined === null) {
      if (frame.t === 'leave') {
        this.close(1000, 'left');
        return;
      }
      if (frame.t !== 'join') throw new CharlaError('NOT_IN_ROOM', 'join the room first');
      // The room answers with `joined` or `lobby` itself, carrying the join's id.
      this.#joined = await this.#host.join(this, frame);
      clearTimeout(this.#joinTimer);
      // Closed while the join was looked up: the room must hear of it.
      if (this.#closed) this.#joined.room.detach(this.#joined.member, this);
      return;
    }
    const { room, member } = joined;
    if (member.status === 'lobby' && frame.t !== 'leave') throw new CharlaError('NOT_IN_ROOM', 'waiting in the lobby for the host');
    room.handle(member, frame);
    if (frame.t === 'leave') {
      this.close(1000, 'left');
      return;
    }
    const id = 'id' in frame ? frame.id : undefined;
    if (id !== undefined && frame.t !== 'join') this.send({ t: 'ok', id });
  }

  #sendError(id: number | undefined, error: unknown): void {
    const wire = toWireError(error);
    if (wire.body.code === 'INTERNAL') this.#host.logger.error({ err: error }, 'room frame failed');
    this.#host.onError(wire.body.code);
    const frame: RoomServerFrame = { t: 'err', code: wire.body.code, message: wire.body.message };
    if (id !== undefined) frame.id = id;
    if (wire.body.retryAfterMs !== undefined) frame.retryAfterMs = wire.body.retryAfterMs;
    try {
      this.send(frame);
    } catch {
      // validateOutputs already logged it.
    }
  }

  #onClose(): void {
    this.#detach();
  }

  #detach(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#joinTimer);
    const joined = this.#joined;
    if (joined) joined.room.detach(joined.member, this);
  }
}
