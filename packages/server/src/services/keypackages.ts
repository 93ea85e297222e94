import { BadRequestError, CharlaError, ForbiddenError } from '../errors.ts';
import type { AuthContext, ServiceContext } from './context.ts';
import type { DevicesService } from './devices.ts';
import { userIdOf } from '@charla/protocol';

/** Key packages: a one-time pool per device plus an optional last-resort package ([KP-*]). */
export class KeyPackagesService {
  readonly #ctx: ServiceContext;
  readonly #devices: DevicesService;

  constructor(ctx: ServiceContext, devices: DevicesService) {
    this.#ctx = ctx;
    this.#devices = devices;
  }

  async upload(auth: AuthContext, keyPackages: readonly string[], lastResort: string | undefined) {
    // [KP-1] Only an active device may publish key packages (others could not verify its credential).
    if (!auth.active) throw new ForbiddenError('activate this device (PUT /v1/devices/current) before uploading key packages');
    const { limits } = this.#ctx.config;
    if (keyPackages.length > limits.maxKeyPackagesPerUpload) throw new BadRequestError(`at most ${limits.maxKeyPackagesPerUpload} key packages per upload`);
    const result = await this.#ctx.store.addKeyPackages(auth.deviceId, keyPackages, lastResort ?? null, limits.maxKeyPackages);
    // [KP-2] A device holds at most limits.maxKeyPackages one-time packages; an upload past that is refused whole.
    if (result === 'POOL_FULL') throw new BadRequestError(`a device holds at most ${limits.maxKeyPackages} key packages`);
    return result;
  }

  async count(auth: AuthContext) {
    return this.#ctx.store.countKeyPackages(auth.deviceId);
  }

  /**
   * [KP-4][KP-5] Atomically takes one package per active device of each user (the caller's own device
   * excluded); a device whose pool is empty gives its last-resort package, and one without any is
   * listed in `missing`. No two claims ever receive the same one-time package.
   */
  async claim(auth: AuthContext, userIds: readonly string[]) {
    const { store, config } = this.#ctx;
    const wanted: { userId: string; deviceId: string }[] = [];
    for (const userId of new Set(userIds)) {
      const username = this.#devices.resolveUser(userId);
      if (!(await store.getAccount(username))) throw new CharlaError('UNKNOWN_USER', `no account ${userId}`);
      for (const d of await store.listActiveDevices(username)) {
        if (d.deviceId !== auth.deviceId) wanted.push({ userId: userIdOf(username, config.serverName), deviceId: d.deviceId });
      }
    }
    const claimed = await store.claimKeyPackages(wanted.map((w) => w.deviceId));
    const keyPackages = [];
    const missing = [];
    for (const w of wanted) {
      const kp = claimed.get(w.deviceId);
      if (kp) keyPackages.push({ userId: w.userId, deviceId: w.deviceId, keyPackage: kp.keyPackage, lastResort: kp.lastResort });
      else missing.push(w);
    }
    return { keyPackages, missing };
  }
}
