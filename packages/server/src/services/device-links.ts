import { randomBytes } from 'node:crypto';
import { randomId, toBase64Url, userIdOf } from '@charla/protocol';
import { CharlaError, ForbiddenError, RateLimitedError } from '../errors.ts';
import { sha256 } from './accounts.ts';
import type { AuthContext, ServiceContext } from './context.ts';
import { FailureLimiter } from './rate-limit.ts';

/** How long a link may be joined and used ([LINK-1]). */
export const LINK_TTL_MS = 10 * 60_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Device links ([LINK-*]): an existing device vouches for a new one. The server creates the new
 * device when it joins and relays sealed messages between the two; it cannot read them.
 */
export class DeviceLinksService {
  readonly #ctx: ServiceContext;
  /** Guessing link ids is the only thing a stranger can do here: limit it per client address. */
  readonly #joinFailures = new FailureLimiter(20, 60_000);

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  async create(auth: AuthContext): Promise<{ linkId: string; expiresAt: number }> {
    if (!auth.active) throw new ForbiddenError('activate this device before linking others');
    const { store, now } = this.#ctx;
    for (;;) {
      const linkId = [...randomBytes(8)].map((b) => CROCKFORD[b & 31]).join('');
      const createdAt = now();
      const expiresAt = createdAt + LINK_TTL_MS;
      const created = await store.createDeviceLink({ linkId, username: auth.username, creatorDevice: auth.deviceId, joinerDevice: null, createdAt, expiresAt });
      if (created === 'ok') return { linkId, expiresAt };
    }
  }

  async join(linkId: string, deviceName: string, clientAddress: string) {
    const { store, now, config } = this.#ctx;
    const t = now();
    const wait = this.#joinFailures.retryAfter(clientAddress, t);
    if (wait > 0) throw new RateLimitedError(wait);
    const token = toBase64Url(randomBytes(32));
    const deviceId = randomId(16);
    const expiresAt = t + config.sessionTtlSeconds * 1000;
    const outcome = await store.joinDeviceLink(
      linkId,
      { deviceId, username: '', name: deviceName, signatureKey: null, credentialSignature: null, createdAt: t, activatedAt: null, revokedAt: null, lastSeenAt: t },
      { tokenHash: sha256(token), deviceId, username: '', createdAt: t, expiresAt },
      t,
    );
    if (outcome === 'UNKNOWN_LINK') {
      this.#joinFailures.fail(clientAddress, t);
      throw new CharlaError('UNKNOWN_LINK', 'no such device link, or it expired');
    }
    if (outcome === 'LINK_USED') throw new CharlaError('LINK_USED', 'this device link was already used');
    const link = await store.getDeviceLink(linkId, t);
    const account = link ? await store.getAccount(link.username) : undefined;
    if (!link || !account) throw new CharlaError('UNKNOWN_LINK', 'no such device link, or it expired');
    this.#ctx.logger.info({ username: link.username, deviceId }, 'device link: new device');
    return { token, expiresAt, userId: userIdOf(link.username, config.serverName), deviceId, accountPublicKey: account.accountPublicKey };
  }

  async post(auth: AuthContext, linkId: string, payload: string): Promise<{ seq: number }> {
    const role = await this.#role(auth, linkId);
    return { seq: await this.#ctx.store.appendLinkMessage(linkId, role, payload, this.#ctx.now()) };
  }

  async read(auth: AuthContext, linkId: string) {
    await this.#role(auth, linkId);
    return { messages: await this.#ctx.store.readLinkMessages(linkId) };
  }

  /** [LINK-4] Only the link's creator device and its joiner may use it. */
  async #role(auth: AuthContext, linkId: string): Promise<'creator' | 'joiner'> {
    const link = await this.#ctx.store.getDeviceLink(linkId, this.#ctx.now());
    if (!link) throw new CharlaError('UNKNOWN_LINK', 'no such device link, or it expired');
    if (link.creatorDevice === auth.deviceId) return 'creator';
    if (link.joinerDevice === auth.deviceId) return 'joiner';
    throw new ForbiddenError('not a device of this link');
  }

  pruneLimiter(): void {
    this.#joinFailures.prune(this.#ctx.now());
  }
}
