import { argon2, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { randomId, toBase64Url, fromBase64Url, userIdOf, type KdfParams } from '@charla/protocol';
import { CharlaError, ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors.ts';
import type { Argon2Params } from '../store/types.ts';
import type { AuthContext, ServiceContext } from './context.ts';
import { FailureLimiter } from './rate-limit.ts';

const argon2Async = promisify(argon2);

export function sha256(data: Uint8Array | string): Uint8Array {
  // One-shot: no Hash object per call (every send hashes its body for [SEND-3]).
  return hash('sha256', data, 'buffer');
}

async function hashAuthKey(authKey: Uint8Array, salt: Uint8Array, p: Argon2Params): Promise<Uint8Array> {
  return argon2Async('argon2id', { message: authKey, nonce: salt, memory: p.memoryKib, passes: p.passes, parallelism: p.parallelism, tagLength: 32 });
}

export interface RegisterInput {
  username: string;
  authKey: string;
  kdf: KdfParams;
  accountPublicKey: string;
  encryptedAccountKey: string;
  inviteToken?: string | undefined;
}

export interface LoginInput {
  username: string;
  authKey: string;
  deviceName: string;
}

/** Accounts, sessions and invite tokens ([AUTH-*]). */
export class AccountsService {
  readonly #ctx: ServiceContext;
  readonly #failures: FailureLimiter;
  readonly #argon2: Argon2Params;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
    this.#failures = new FailureLimiter(ctx.config.loginFailuresPerMinute, 60_000);
    this.#argon2 = { memoryKib: ctx.config.argon2MemoryKib, passes: 2, parallelism: 1 };
  }

  async prelogin(username: string): Promise<{ kdf: KdfParams }> {
    const account = await this.#ctx.store.getAccount(username);
    if (!account) throw new CharlaError('UNKNOWN_USER', 'no account with this username');
    return { kdf: account.kdf };
  }

  /** [AUTH-4] The authKey is stored only as an argon2id hash under a per-account salt. */
  async register(input: RegisterInput): Promise<{ userId: string }> {
    const { config, store, now } = this.#ctx;
    let inviteHash: Uint8Array | null = null;
    // [AUTH-4] In invite mode a single-use token is needed, except for the configured admins (someone has to be first).
    if (config.registration === 'invite' && !config.admins.includes(input.username)) {
      if (input.inviteToken === undefined) throw new CharlaError('REGISTRATION_CLOSED', 'registration on this server needs an invite token');
      inviteHash = sha256(input.inviteToken);
    }
    const salt = randomBytes(16);
    const authHash = await hashAuthKey(fromBase64Url(input.authKey), salt, this.#argon2);
    const result = await store.createAccount(
      {
        username: input.username, authHash, authSalt: salt, authParams: this.#argon2, kdf: input.kdf,
        accountPublicKey: input.accountPublicKey, encryptedAccountKey: input.encryptedAccountKey, createdAt: now(),
      },
      inviteHash,
    );
    if (result === 'USERNAME_TAKEN') throw new CharlaError('USERNAME_TAKEN', 'an account with this username already exists');
    if (result === 'INVALID_INVITE_TOKEN') throw new CharlaError('INVALID_INVITE_TOKEN', 'the invite token is unknown or already used');
    this.#ctx.logger.info({ username: input.username }, 'account registered');
    return { userId: userIdOf(input.username, config.serverName) };
  }

  /** [AUTH-5] Each login creates a new device and a session token for it; only the token's SHA-256 is stored. */
  async login(input: LoginInput, clientAddress: string) {
    const { store, config, now } = this.#ctx;
    const t = now();
    // [LIM-3] Failed logins are limited per username and per client address.
    const wait = Math.max(this.#failures.retryAfter(`u:${input.username}`, t), this.#failures.retryAfter(`a:${clientAddress}`, t));
    if (wait > 0) throw new RateLimitedError(wait);
    const account = await store.getAccount(input.username);
    const authKey = fromBase64Url(input.authKey);
    let ok: boolean;
    if (account) {
      const hash = await hashAuthKey(authKey, account.authSalt, account.authParams);
      ok = hash.length === account.authHash.length && timingSafeEqual(hash, account.authHash);
    } else {
      // Hash anyway, so an unknown username takes as long as a wrong password.
      await hashAuthKey(authKey, randomBytes(16), this.#argon2);
      ok = false;
    }
    if (!ok || !account) {
      this.#failures.fail(`u:${input.username}`, t);
      this.#failures.fail(`a:${clientAddress}`, t);
      throw new CharlaError('INVALID_CREDENTIALS', 'unknown username or wrong password');
    }
    const token = toBase64Url(randomBytes(32));
    const deviceId = randomId(16);
    const created = now();
    const expiresAt = created + config.sessionTtlSeconds * 1000;
    await store.createDeviceAndSession(
      { deviceId, username: account.username, name: input.deviceName, signatureKey: null, credentialSignature: null, createdAt: created, activatedAt: null, revokedAt: null, lastSeenAt: created },
      { tokenHash: sha256(token), deviceId, username: account.username, createdAt: created, expiresAt },
    );
    this.#ctx.logger.info({ username: account.username, deviceId }, 'login: new device');
    return {
      token, expiresAt, userId: userIdOf(account.username, config.serverName), deviceId,
      accountPublicKey: account.accountPublicKey, encryptedAccountKey: account.encryptedAccountKey,
    };
  }

  /** [AUTH-8] Unknown token → UNAUTHENTICATED, expired → TOKEN_EXPIRED, revoked device → DEVICE_REVOKED. */
  async authenticate(token: string): Promise<AuthContext> {
    const tokenHash = sha256(token);
    const found = await this.#ctx.store.getSession(tokenHash);
    if (!found) throw new UnauthenticatedError();
    if (found.device.revokedAt !== null) throw new CharlaError('DEVICE_REVOKED', 'this device was revoked');
    if (found.session.expiresAt <= this.#ctx.now()) throw new CharlaError('TOKEN_EXPIRED', 'the session token has expired; log in again');
    return {
      username: found.session.username,
      userId: userIdOf(found.session.username, this.#ctx.config.serverName),
      deviceId: found.session.deviceId,
      active: found.device.activatedAt !== null,
      tokenHash,
      expiresAt: found.session.expiresAt,
    };
  }

  async logout(auth: AuthContext): Promise<void> {
    await this.#ctx.store.deleteSession(auth.tokenHash);
  }

  /** [AUTH-4] Admins (CHARLA_ADMINS) create single-use invite tokens; only their hash is stored. */
  async createInviteToken(auth: AuthContext): Promise<{ token: string }> {
    if (!this.#ctx.config.admins.includes(auth.username)) throw new ForbiddenError('only admins may create invite tokens');
    const token = toBase64Url(randomBytes(24));
    await this.#ctx.store.createInviteToken(sha256(token), auth.username, this.#ctx.now());
    return { token };
  }

  pruneLimiter(): void {
    this.#failures.prune(this.#ctx.now());
  }
}
