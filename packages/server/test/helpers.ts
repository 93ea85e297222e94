/* eslint-disable @typescript-eslint/no-explicit-any -- test frames are read loosely; the server checks its own outputs against the schemas (validateOutputs). */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { decodeFrame, deviceCredentialBytes, encodeFrame, PROTOCOL_VERSION, randomId, toBase64Url } from '@charla/protocol';
import { loadConfig, startServer, type RunningServer, type StartOptions } from '../src/index.ts';

export interface TestServer extends AsyncDisposable {
  readonly server: RunningServer;
  readonly url: string;
  readonly dataDir: string;
  /** Every log line written so far. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** A real server on an ephemeral port with a fresh data dir and cheap argon2. */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string, options: Omit<StartOptions, 'logDestination'> = {}): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'charla-server-test-')));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = loadConfig({ CHARLA_PORT: '0', CHARLA_DATA_DIR: dir, CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_LOG_LEVEL: 'debug', CHARLA_SQLITE_SYNCHRONOUS: 'normal', ...env });
  const server = await startServer(config, { logDestination: sink, validateOutputs: true, ...options });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server, url: server.url, dataDir: dir, logs, stop,
    async [Symbol.asyncDispose]() {
      await stop();
      if (dataDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function api(url: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
}

export interface TestUser {
  readonly username: string;
  readonly userId: string;
  readonly authKey: string;
  readonly accountKey: KeyObject;
}

export interface TestDevice {
  readonly user: TestUser;
  readonly token: string;
  readonly deviceId: string;
}

const kdf = { alg: 'scrypt', salt: toBase64Url(new Uint8Array(16).fill(7)), N: 1024, r: 8, p: 1 };

export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export async function register(url: string, username = uniqueName(), extra: Record<string, unknown> = {}): Promise<TestUser> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const authKey = toBase64Url(randomBytes(32));
  const accountPublicKey = publicKey.export({ format: 'jwk' }).x!;
  const r = await api(url, 'POST', '/v1/accounts', { username, authKey, kdf, accountPublicKey, encryptedAccountKey: toBase64Url(randomBytes(48)), ...extra });
  if (r.status !== 200) throw new Error(`register failed: ${JSON.stringify(r.json)}`);
  return { username, userId: r.json.userId, authKey, accountKey: privateKey };
}

/** Logs in (a new device) and, unless told not to, activates it with a credential signed by the account key. */
export async function newDevice(url: string, user: TestUser, activate = true): Promise<TestDevice> {
  const r = await api(url, 'POST', '/v1/sessions', { username: user.username, authKey: user.authKey, deviceName: 'test device' });
  if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.json)}`);
  const device = { user, token: r.json.token as string, deviceId: r.json.deviceId as string };
  if (activate) {
    const signatureKey = randomBytes(32);
    const sig = sign(null, deviceCredentialBytes(user.userId, device.deviceId, signatureKey), user.accountKey);
    const a = await api(url, 'PUT', '/v1/devices/current', { signatureKey: toBase64Url(signatureKey), credentialSignature: toBase64Url(sig) }, device.token);
    if (a.status !== 204) throw new Error(`activate failed: ${JSON.stringify(a.json)}`);
  }
  return device;
}

export async function newUserDevice(url: string, username?: string): Promise<TestDevice> {
  return newDevice(url, await register(url, username));
}

export interface Frame {
  readonly header: any;
  readonly body: Uint8Array | null;
}

/** A raw protocol client over a real WebSocket. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const f: Frame = isBinary ? decodeFrame(new Uint8Array(data)) as Frame : { header: JSON.parse(data.toString('utf8')), body: null };
      this.frames.push(f);
      this.#waiters = this.#waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string): Promise<TestSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`);
    const s = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return s;
  }

  /** Opens, authenticates and waits for `synced`. */
  static async connect(url: string, device: TestDevice): Promise<TestSocket> {
    const s = await TestSocket.open(url);
    const ok = await s.request({ t: 'auth', token: device.token, protocol: PROTOCOL_VERSION });
    if (ok.header.t !== 'ok') throw new Error(`auth failed: ${JSON.stringify(ok.header)}`);
    await s.waitFor((f) => f.header.t === 'synced');
    return s;
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Sends a request frame (binary if it has a body) and waits for its ok/err. */
  async request(header: Record<string, unknown>, body?: Uint8Array): Promise<Frame> {
    const id = this.#nextId++;
    const full = { ...header, id };
    const answer = this.waitFor((f) => (f.header.t === 'ok' || f.header.t === 'err') && f.header.id === id);
    this.ws.send(body === undefined ? JSON.stringify(full) : encodeFrame(full, body));
    return answer;
  }

  /** The first frame (already received or future) matching pred. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      this.#waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  events(groupId?: string): Frame[] {
    return this.frames.filter((f) => f.header.t === 'ev' && (groupId === undefined || f.header.groupId === groupId));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export const newGroupId = (): string => randomId(16);
export const newMsgId = (): string => randomId(12);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a group on `owner`'s socket and adds `others` with one commit (random bytes as MLS). */
export async function createGroupWith(owner: TestSocket, others: readonly TestDevice[]): Promise<{ groupId: string; epoch: number }> {
  const groupId = newGroupId();
  const created = await owner.request({ t: 'createGroup', groupId });
  if (created.header.t !== 'ok') throw new Error(`createGroup failed: ${JSON.stringify(created.header)}`);
  if (others.length === 0) return { groupId, epoch: 0 };
  const commit = bytes(100);
  const r = await owner.request(
    { t: 'commit', groupId, epoch: 0, msgId: newMsgId(), add: others.map((d) => d.deviceId), remove: [], commitBytes: commit.length },
    concat(commit, bytes(200)),
  );
  if (r.header.t !== 'ok') throw new Error(`commit failed: ${JSON.stringify(r.header)}`);
  return { groupId, epoch: r.header.epoch };
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
