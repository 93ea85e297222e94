import { ed25519 } from '@noble/curves/ed25519.js';
import { deviceCredentialBytes, InfoResponse, randomId, toBase64Url, type Limits } from '@charla/protocol';
import { Connection } from './connection.ts';
import { CaseFailure, CaseSkipped } from './failures.ts';
import { HttpClient, expectOk } from './http-client.ts';

export interface User {
  username: string;
  userId: string;
  /** Random 32 bytes: the server treats authKey as opaque ([AUTH-2]). */
  authKey: string;
  accountSecretKey: Uint8Array;
  accountPublicKey: Uint8Array;
}

export interface Device {
  user: User;
  deviceId: string;
  token: string;
  signatureSecretKey: Uint8Array;
  signatureKey: Uint8Array;
}

export interface Info {
  serverName: string;
  registration: 'open' | 'invite';
  limits: Limits;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65 536 bytes per call.
  for (let i = 0; i < n; i += 65_536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

export function randomUsername(): string {
  return `cf-${randomId(9).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
}

/**
 * What a case gets: the server, a raw HTTP client, and helpers that build users, devices,
 * connections and groups the way a real client would, minus MLS (the server treats MLS bytes as opaque).
 * Everything a case opens is closed when it ends.
 */
export class Context {
  readonly http: HttpClient;
  readonly base: URL;
  readonly info: Info;
  readonly connections: Connection[] = [];
  private counter = 0;

  constructor(base: URL, info: Info) {
    this.base = base;
    this.http = new HttpClient(base);
    this.info = info;
  }

  static async create(base: URL): Promise<Context> {
    const res = await fetch(new URL('/v1/info', base));
    if (!res.ok) throw new CaseFailure(`GET /v1/info answered ${res.status}`);
    const info = InfoResponse.parse(await res.json());
    return new Context(base, info);
  }

  get wsUrl(): URL {
    const url = new URL('/v1/ws', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url;
  }

  /** Registration body of a fresh random user, before it is sent. */
  newUserBody(username = randomUsername()): { body: Record<string, unknown>; user: Omit<User, 'userId'> } {
    const accountSecretKey = ed25519.utils.randomSecretKey();
    const accountPublicKey = ed25519.getPublicKey(accountSecretKey);
    const authKey = toBase64Url(randomBytes(32));
    const body = {
      username,
      authKey,
      kdf: { alg: 'scrypt', salt: toBase64Url(randomBytes(16)), N: 16384, r: 8, p: 1 },
      accountPublicKey: toBase64Url(accountPublicKey),
      encryptedAccountKey: toBase64Url(randomBytes(60)),
    };
    return { body, user: { username, authKey, accountSecretKey, accountPublicKey } };
  }

  requireOpenRegistration(): void {
    if (this.info.registration !== 'open') throw new CaseSkipped('registration on this server needs invite tokens');
  }

  async registerUser(): Promise<User> {
    this.requireOpenRegistration();
    const { body, user } = this.newUserBody();
    const data = expectOk(await this.http.call('register', { body }), 'register') as { userId: string };
    return { ...user, userId: data.userId };
  }

  /** A pending device ([DEV-1]). */
  async login(user: User, deviceName = `device ${++this.counter}`): Promise<Device> {
    const data = expectOk(
      await this.http.call('login', { body: { username: user.username, authKey: user.authKey, deviceName } }),
      'login',
    ) as { token: string; deviceId: string };
    const signatureSecretKey = ed25519.utils.randomSecretKey();
    return { user, deviceId: data.deviceId, token: data.token, signatureSecretKey, signatureKey: ed25519.getPublicKey(signatureSecretKey) };
  }

  credentialSignature(device: Device, signer = device.user.accountSecretKey): Uint8Array {
    return ed25519.sign(deviceCredentialBytes(device.user.userId, device.deviceId, device.signatureKey), signer);
  }

  async activate(device: Device): Promise<void> {
    const body = { signatureKey: toBase64Url(device.signatureKey), credentialSignature: toBase64Url(this.credentialSignature(device)) };
    expectOk(await this.http.call('activateDevice', { token: device.token, body }), 'activateDevice');
  }

  /** An active device with `oneTime` fake key packages and a last-resort one. */
  async newDevice(user?: User, oneTime = 2): Promise<Device> {
    const device = await this.login(user ?? (await this.registerUser()));
    await this.activate(device);
    await this.uploadKeyPackages(device, oneTime, true);
    return device;
  }

  async uploadKeyPackages(device: Device, count: number, lastResort = false): Promise<{ count: number; hasLastResort: boolean }> {
    const body: Record<string, unknown> = { keyPackages: Array.from({ length: count }, () => fakeKeyPackage(device)) };
    if (lastResort) body.lastResort = fakeKeyPackage(device);
    return expectOk(await this.http.call('uploadKeyPackages', { token: device.token, body }), 'uploadKeyPackages') as { count: number; hasLastResort: boolean };
  }

  /** An open, authenticated connection of `device`. */
  async connect(device: Device, label = device.deviceId.slice(0, 6)): Promise<Connection> {
    const conn = await this.open(label);
    await conn.auth(device.token);
    return conn;
  }

  /** An open connection that has not authenticated. */
  async open(label = `conn ${++this.counter}`): Promise<Connection> {
    const conn = await Connection.open(this.wsUrl, label);
    this.connections.push(conn);
    return conn;
  }

  async createGroup(conn: Connection): Promise<string> {
    const groupId = randomId();
    await conn.ok({ t: 'createGroup', groupId });
    return groupId;
  }

  /** Commits at `epoch` adding/removing devices, with fake MLS bytes; returns the ok fields. */
  async commit(conn: Connection, groupId: string, epoch: number, add: Device[], remove: Device[] = []): Promise<{ seq: number; epoch: number }> {
    const { header, body } = commitFrame(groupId, epoch, add, remove);
    return (await conn.ok(header, body)) as { seq: number; epoch: number };
  }

  async send(conn: Connection, groupId: string, epoch: number, bytes = randomBytes(64), msgId = randomId()): Promise<{ seq: number; duplicate: boolean; msgId: string; bytes: Uint8Array }> {
    const result = (await conn.ok({ t: 'send', groupId, epoch, msgId }, bytes)) as { seq: number; duplicate: boolean };
    return { ...result, msgId, bytes };
  }

  /** Violations recorded by any connection of this case. */
  violations(): string[] {
    return this.connections.flatMap((c) => c.violations.map((v) => `${c.label}: ${v}`));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
  }
}

/** Fake MLS bytes are fine: the server stores key packages opaquely ([KP-3] says it MAY parse them). */
function fakeKeyPackage(device: Device): string {
  return toBase64Url(new Uint8Array([0x00, 0x01, ...device.signatureKey, ...randomBytes(32)]));
}

export function commitFrame(groupId: string, epoch: number, add: Device[], remove: Device[], commitBytes = randomBytes(48)): { header: Record<string, unknown> & { t: string }; body: Uint8Array[] } {
  const body = add.length > 0 ? [commitBytes, randomBytes(80)] : [commitBytes];
  return {
    header: { t: 'commit', groupId, epoch, msgId: randomId(), add: add.map((d) => d.deviceId), remove: remove.map((d) => d.deviceId), commitBytes: commitBytes.length },
    body,
  };
}
