/* eslint-disable @typescript-eslint/no-explicit-any -- test frames are read loosely; the server checks its own outputs against RoomServerFrame (validateOutputs). */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { toBase64Url } from '@charla/protocol';
import { api, newUserDevice, type TestDevice } from './helpers.ts';

export const b64 = (n: number): string => toBase64Url(randomBytes(n));

export interface TestRoom {
  readonly roomId: string;
  readonly accessKey: string;
  readonly hostToken: string;
  readonly creator: TestDevice;
}

export async function createRoom(url: string, lobby = false, creator?: TestDevice): Promise<TestRoom> {
  const device = creator ?? (await newUserDevice(url));
  const accessKey = b64(32);
  const r = await api(url, 'POST', '/v1/rooms', { accessKey, lobby }, device.token);
  if (r.status !== 200) throw new Error(`createRoom failed: ${JSON.stringify(r.json)}`);
  return { roomId: r.json.roomId, accessKey, hostToken: r.json.hostToken, creator: device };
}

/** A room participant over a real WebSocket; records every frame it receives. */
export class RoomClient {
  readonly ws: WebSocket;
  readonly frames: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** What this client sent as its sealed name (opaque to the server). */
  readonly name = b64(40);
  readonly pub = b64(32);
  readonly pubMac = b64(32);
  participantId = '';
  resumeToken = '';
  #nextId = 1;
  #waiters: { pred: (f: any) => boolean; resolve: (f: any) => void }[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8'));
      this.frames.push(f);
      this.#waiters = this.#waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string): Promise<RoomClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/rooms/ws`);
    const c = new RoomClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  /** Opens a socket and sends join; resolves with the answer (joined, lobby or err). */
  static async join(url: string, room: TestRoom, extra: Record<string, unknown> = {}): Promise<{ client: RoomClient; answer: any }> {
    const client = await RoomClient.open(url);
    const answer = await client.sendJoin(room, extra);
    return { client, answer };
  }

  async sendJoin(room: TestRoom, extra: Record<string, unknown> = {}): Promise<any> {
    const id = this.#nextId++;
    const answer = this.waitFor((f) => ['joined', 'lobby', 'err'].includes(f.t) && f.id === id);
    this.send({ t: 'join', id, roomId: room.roomId, accessKey: room.accessKey, name: this.name, pub: this.pub, pubMac: this.pubMac, ...extra });
    const a = await answer;
    if (a.t === 'joined' || a.t === 'lobby') this.participantId = a.participantId;
    if (a.t === 'joined') this.resumeToken = a.resumeToken;
    return a;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id and waits for its ok/err. */
  async request(frame: Record<string, unknown>): Promise<any> {
    const id = this.#nextId++;
    const answer = this.waitFor((f) => (f.t === 'ok' || f.t === 'err') && f.id === id);
    this.send({ ...frame, id });
    return answer;
  }

  waitFor(pred: (f: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a room frame')), timeoutMs);
      this.#waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Waits for the next frame of type t that arrives after this call (not one already seen). */
  next(t: string, timeoutMs = 5000): Promise<any> {
    const seen = new Set(this.frames);
    return this.waitFor((f) => f.t === t && !seen.has(f), timeoutMs);
  }

  of(t: string): any[] {
    return this.frames.filter((f) => f.t === t);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export const ROOM_TEST_ENV = { CHARLA_SFU_LOCAL: 'false', CHARLA_ROOM_RESUME_GRACE_MS: '400' };
