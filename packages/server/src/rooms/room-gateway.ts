import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PREFIX, type RoomClientFrame } from '@charla/protocol';
import { CharlaError } from '../errors.ts';
import type { Services } from '../services/services.ts';
import { LiveRoom, type Member } from './live-room.ts';
import { MAX_ROOM_FRAME_BYTES, ROOM_JOIN_TIMEOUT_MS, RoomSocket, type RoomSocketHost } from './room-socket.ts';
import type { SfuPool } from './sfu-pool.ts';

export const ROOMS_WS_PATH = `${API_PREFIX}/rooms/ws`;
/** WebSocket pings: a socket that misses one round is treated as dropped ([ROOM-10]). */
const HEARTBEAT_MS = 10_000;

/**
 * Accepts room WebSockets on /v1/rooms/ws (no account: the access key is the credential) and
 * keeps the live rooms of this node. A room lives in the memory of the node its participants
 * reach: with several nodes, route /v1/rooms/ws by room (see docs/self-hosting.md).
 */
export class RoomGateway {
  readonly #wss: WebSocketServer;
  readonly #services: Services;
  readonly #pool: SfuPool;
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #sockets = new Set<RoomSocket>();
  readonly #host: RoomSocketHost;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(services: Services, pool: SfuPool, validateOutputs: boolean, joinTimeoutMs = ROOM_JOIN_TIMEOUT_MS) {
    this.#services = services;
    this.#pool = pool;
    const { ctx } = services;
    // A margin above the limit so a slightly-too-large frame gets FRAME_TOO_LARGE; beyond it ws
    // closes the socket with 1009 without buffering the rest.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_ROOM_FRAME_BYTES + 16 * 1024, perMessageDeflate: false });
    this.#host = {
      validateOutputs,
      framesPerSecond: ctx.config.rooms.framesPerSecond,
      frameBurst: ctx.config.rooms.frameBurst,
      joinTimeoutMs,
      now: ctx.now,
      logger: ctx.logger,
      onError: (code) => ctx.metrics.errors.inc({ code }),
      join: (socket, frame) => this.#join(socket, frame),
    };
    pool.setListener({
      onSpeakers: (roomId, ids) => this.#rooms.get(roomId)?.speakers(ids),
      onDisconnected: (roomId, participantId, reason) => {
        ctx.logger.info({ roomId, participantId, reason }, 'room: media connection lost');
        this.#rooms.get(roomId)?.mediaLost(participantId);
      },
      onNegotiationError: (participantId, error) => ctx.logger.debug({ participantId, err: error }, 'room: SFU negotiation failed'),
    });
    ctx.metrics.gauge('charla_rooms_live', 'Rooms with someone in them on this node.', () => this.#rooms.size);
    ctx.metrics.gauge('charla_room_sockets', 'Open room WebSockets on this node.', () => this.#sockets.size);
    ctx.metrics.gauge('charla_room_members', 'Room participants and lobby guests on this node (dropped ones within their resume grace included).', () => {
      let n = 0;
      for (const room of this.#rooms.values()) n += room.size;
      return n;
    });
    this.#heartbeat = setInterval(() => {
      for (const s of this.#sockets) {
        if (!s.alive) {
          s.terminate();
          continue;
        }
        s.alive = false;
        s.ping();
      }
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    const s = new RoomSocket(ws, this.#host);
    this.#sockets.add(s);
    ws.on('close', () => this.#sockets.delete(s));
  }

  async #join(socket: RoomSocket, frame: Extract<RoomClientFrame, { t: 'join' }>): Promise<{ room: LiveRoom; member: Member }> {
    const record = await this.#services.rooms.get(frame.roomId);
    if (!record) throw new CharlaError('UNKNOWN_ROOM', 'no such room, or it expired');
    let room = this.#rooms.get(record.roomId);
    const created = room === undefined;
    if (!room) {
      room = new LiveRoom({
        record,
        pool: this.#pool,
        logger: this.#services.ctx.logger,
        resumeGraceMs: this.#services.ctx.config.rooms.resumeGraceMs,
        onEmpty: (r) => this.#ended(r),
        onUsed: (r) => this.#touch(r.id),
      });
      this.#rooms.set(record.roomId, room);
    }
    try {
      return { room, member: room.join(socket, frame) };
    } catch (error) {
      if (created && room.size === 0) this.#rooms.delete(record.roomId);
      throw error;
    }
  }

  #ended(room: LiveRoom): void {
    if (this.#rooms.get(room.id) !== room) return;
    this.#rooms.delete(room.id);
    // Its SFU connections are closing; the next participant may be assigned another SFU.
    void room.settled().then(() => {
      if (!this.#rooms.has(room.id)) this.#pool.release(room.id);
    });
    this.#touch(room.id);
  }

  /** [ROOM-12] A room in use does not expire: its expiry restarts from now. */
  #touch(roomId: string): void {
    this.#services.rooms.touch(roomId).catch((err: unknown) => this.#services.ctx.logger.warn({ err, roomId }, 'room: could not extend expiry'));
  }

  /** Called by the sweeper: rooms with people in them stay alive. */
  touchLiveRooms(): void {
    for (const roomId of this.#rooms.keys()) this.#touch(roomId);
  }

  get liveRooms(): number {
    return this.#rooms.size;
  }

  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#sockets].map((s) => s.idle())),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const room of this.#rooms.values()) room.closeAll(1001, 'server shutting down');
    this.#rooms.clear();
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await this.#pool.close();
  }
}
