import { randomBytes } from 'node:crypto';
import { fromBase64Url, randomId, toBase64Url } from '@charla/protocol';
import { RateLimitedError } from '../errors.ts';
import { sha256 } from '../services/accounts.ts';
import type { AuthContext, ServiceContext } from '../services/context.ts';
import { FailureLimiter } from '../services/rate-limit.ts';
import type { RoomRecord } from '../store/types.ts';

/**
 * Room records ([ROOM-2]): creation by a logged-in device, and the checks a join needs. The server
 * keeps SHA-256 of the access key and of the host token, never the link secret (it is in the URL
 * fragment and never reaches the server).
 */
export class RoomsService {
  readonly #ctx: ServiceContext;
  readonly #ttlMs: number;
  /** Counts creations (not failures) per device over a sliding minute. */
  readonly #creations: FailureLimiter;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
    this.#ttlMs = ctx.config.rooms.ttlMs;
    this.#creations = new FailureLimiter(ctx.config.rooms.perMinute, 60_000);
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  async create(auth: AuthContext, accessKey: string, lobby: boolean): Promise<{ roomId: string; hostToken: string; expiresAt: number }> {
    const { store, now, logger } = this.#ctx;
    const t = now();
    const wait = this.#creations.retryAfter(auth.deviceId, t);
    if (wait > 0) throw new RateLimitedError(wait);
    this.#creations.fail(auth.deviceId, t);
    const hostTokenBytes = randomBytes(32);
    for (;;) {
      const room: RoomRecord = {
        roomId: randomId(16),
        accessKeyHash: sha256(fromBase64Url(accessKey)),
        hostTokenHash: sha256(hostTokenBytes),
        createdBy: auth.deviceId,
        createdAt: t,
        expiresAt: t + this.#ttlMs,
        lobby,
      };
      if ((await store.createRoom(room)) === 'ok') {
        logger.info({ roomId: room.roomId, deviceId: auth.deviceId, lobby }, 'room created');
        return { roomId: room.roomId, hostToken: toBase64Url(hostTokenBytes), expiresAt: room.expiresAt };
      }
    }
  }

  get(roomId: string): Promise<RoomRecord | undefined> {
    return this.#ctx.store.getRoom(roomId, this.#ctx.now());
  }

  /** A room in use does not expire: its expiry moves to a TTL from now. */
  touch(roomId: string): Promise<void> {
    return this.#ctx.store.touchRoom(roomId, this.#ctx.now() + this.#ttlMs);
  }

  pruneLimiter(): void {
    this.#creations.prune(this.#ctx.now());
  }
}
