import { createPublicKey, verify } from 'node:crypto';
import { deviceCredentialBytes, fromBase64Url, parseUserId, userIdOf, USERNAME_PATTERN } from '@charla/protocol';
import { CharlaError, ForbiddenError } from '../errors.ts';
import type { DeviceRecord, LogEntry } from '../store/types.ts';
import type { AuthContext, ServiceContext } from './context.ts';
import type { AckBuffer } from './ack-buffer.ts';

/** Ed25519 verification with Node's own crypto: the server only checks public data. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

function publicDevice(d: DeviceRecord) {
  return { deviceId: d.deviceId, signatureKey: d.signatureKey ?? '', credentialSignature: d.credentialSignature ?? '', createdAt: d.createdAt };
}

/** Devices: activation ([DEV-1]), listing, revocation ([DEV-6]) and the public user directory. */
export class DevicesService {
  readonly #ctx: ServiceContext;
  readonly #publishGroupEntries: (entries: readonly LogEntry[]) => Promise<void>;
  readonly #acks: AckBuffer;

  constructor(ctx: ServiceContext, publishGroupEntries: (entries: readonly LogEntry[]) => Promise<void>, acks: AckBuffer) {
    this.#ctx = ctx;
    this.#publishGroupEntries = publishGroupEntries;
    this.#acks = acks;
  }

  async activate(auth: AuthContext, signatureKey: string, credentialSignature: string): Promise<void> {
    const { store, now } = this.#ctx;
    const device = await store.getDevice(auth.deviceId);
    const account = await store.getAccount(auth.username);
    if (!device || !account) throw new CharlaError('UNAUTHENTICATED', 'no valid session token');
    const signed = deviceCredentialBytes(auth.userId, auth.deviceId, fromBase64Url(signatureKey));
    if (!verifyEd25519(fromBase64Url(account.accountPublicKey), signed, fromBase64Url(credentialSignature))) {
      throw new ForbiddenError('credentialSignature does not verify under the account key');
    }
    if (device.activatedAt !== null) {
      // [DEV-1] Activation is idempotent, but a device's MLS signature key never changes.
      if (device.signatureKey === signatureKey) return;
      throw new ForbiddenError('this device already published a different signature key');
    }
    const entries = await store.activateDevice(auth.deviceId, signatureKey, credentialSignature, now());
    await this.#publishGroupEntries(entries);
  }

  async listOwn(auth: AuthContext) {
    const devices = await this.#ctx.store.listActiveDevices(auth.username);
    // Last-seen times of recent connections on this node are written with the buffered acks.
    const lastSeen = (d: DeviceRecord) => Math.max(d.lastSeenAt ?? 0, this.#acks.lastSeen(d.deviceId) ?? 0) || d.lastSeenAt;
    return {
      devices: devices.map((d) => ({ ...publicDevice(d), name: d.name, lastSeenAt: lastSeen(d), current: d.deviceId === auth.deviceId })),
    };
  }

  /** [DEV-6] Revocation ends sessions, key packages and memberships at once and closes the device's sockets. */
  async revoke(auth: AuthContext, deviceId: string): Promise<void> {
    // Its acks held here are written first: its cursors are final once it is revoked.
    await this.#acks.flush();
    const result = await this.#ctx.store.revokeDevice(auth.username, deviceId, this.#ctx.now());
    if (result === 'UNKNOWN_DEVICE') throw new CharlaError('UNKNOWN_DEVICE', 'no such device of this account');
    this.#ctx.logger.info({ username: auth.username, deviceId }, 'device revoked');
    await this.#ctx.bus.publishControl({ type: 'deviceRevoked', deviceId });
    await this.#publishGroupEntries(result);
  }

  /** Resolves `@name:server` (this server only) or a bare username to a username. */
  resolveUser(userIdOrName: string): string {
    const parsed = parseUserId(userIdOrName);
    if (parsed) {
      if (parsed.server !== this.#ctx.config.serverName) throw new CharlaError('UNKNOWN_USER', 'users of other servers are not reachable yet');
      return parsed.username;
    }
    const name = userIdOrName.toLowerCase();
    if (!USERNAME_PATTERN.test(name)) throw new CharlaError('UNKNOWN_USER', 'not a user id or username');
    return name;
  }

  /** [DEV-5] A user's account key and active devices; devices not yet activated are invisible. */
  async getUser(userIdOrName: string) {
    const username = this.resolveUser(userIdOrName);
    const account = await this.#ctx.store.getAccount(username);
    if (!account) throw new CharlaError('UNKNOWN_USER', 'no account with this username');
    const devices = await this.#ctx.store.listActiveDevices(username);
    return { userId: userIdOf(username, this.#ctx.config.serverName), accountPublicKey: account.accountPublicKey, devices: devices.map(publicDevice) };
  }
}
