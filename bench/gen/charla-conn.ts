import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@charla/protocol';

export type AckPolicy = 'sdk' | 'each' | 'batch' | 'none';
/** What `@charla/sdk` does (client.ts ACK_DELAY_MS): the highest seq per group, 20 ms after the first unacked event. */
const SDK_ACK_DELAY_MS = 20;

type Header = { t: string; id?: number; code?: string; kind?: string; groupId?: string; seq?: number };

/**
 * A raw protocol client made for load: no schema validation, headers parsed with one JSON.parse,
 * frames built by hand. `onApp` gets the body of every application event (the bench's payload).
 */
export class CharlaConn {
  readonly ws: WebSocket;
  onApp: (body: Buffer) => void = () => undefined;
  readonly errors = new Map<string, number>();
  #pending = new Map<number, { ok(h: Header): void; fail(e: Error): void }>();
  #nextId = 1;
  #synced!: Promise<void>;
  #ackPolicy: AckPolicy;
  #acksDue = new Map<string, number>();
  #ackTimer: NodeJS.Timeout | undefined;

  private constructor(ws: WebSocket, ackPolicy: AckPolicy) {
    this.ws = ws;
    this.#ackPolicy = ackPolicy;
    this.#synced = new Promise((resolve) => (this.#onSynced = resolve));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => {
      clearTimeout(this.#ackTimer);
      for (const p of this.#pending.values()) p.fail(new Error('connection closed'));
      this.#pending.clear();
    });
  }

  #onSynced: () => void = () => undefined;

  static open(wsUrl: string, ackPolicy: AckPolicy, localAddress?: string): Promise<CharlaConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
      const conn = new CharlaConn(ws, ackPolicy);
      ws.once('open', () => resolve(conn));
      ws.once('error', reject);
    });
  }

  get synced(): Promise<void> {
    return this.#synced;
  }

  async auth(token: string): Promise<void> {
    await this.request({ t: 'auth', token, protocol: PROTOCOL_VERSION });
  }

  /** A request answered by `ok` (resolves with its fields) or `err` (rejects). */
  request(header: Record<string, unknown>, body?: Uint8Array): Promise<Header> {
    const id = this.#nextId++;
    return new Promise((ok, fail) => {
      this.#pending.set(id, { ok, fail });
      const h = { ...header, id };
      if (body) this.ws.send(frame(JSON.stringify(h), body));
      else this.ws.send(JSON.stringify(h));
    });
  }

  /** The hot path: a `send` frame whose body is already laid out; `done` runs on its ok or err. */
  send(groupId: string, epoch: number, msgId: string, body: Buffer, done: (ok: boolean) => void): void {
    const id = this.#nextId++;
    this.#pending.set(id, { ok: () => done(true), fail: () => done(false) });
    this.ws.send(frame(`{"t":"send","id":${id},"groupId":"${groupId}","epoch":${epoch},"msgId":"${msgId}"}`, body));
  }

  close(): void {
    this.ws.terminate();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    let header: Header;
    let body: Buffer | null = null;
    if (isBinary) {
      const n = data.readUInt32BE(0);
      header = JSON.parse(data.toString('utf8', 4, 4 + n)) as Header;
      body = data.subarray(4 + n);
    } else {
      header = JSON.parse(data.toString('utf8')) as Header;
    }
    switch (header.t) {
      case 'ok':
      case 'err': {
        if (header.t === 'err') this.errors.set(header.code ?? '?', (this.errors.get(header.code ?? '?') ?? 0) + 1);
        const p = header.id === undefined ? undefined : this.#pending.get(header.id);
        if (!p) return;
        this.#pending.delete(header.id!);
        if (header.t === 'ok') p.ok(header);
        else p.fail(new Error(`${header.code}`));
        return;
      }
      case 'ev':
        if (header.kind === 'app' && body) this.onApp(body);
        if (header.seq !== undefined && header.seq > 0) this.#ack(header.groupId!, header.seq);
        return;
      case 'synced':
        this.#onSynced();
        return;
    }
  }

  /**
   * 'sdk' acks like the SDK (the highest seq per group, 20 ms after the first unacked event);
   * 'each' acks every event (the worst case for the server); 'batch' like 'sdk' but every 100 ms.
   */
  #ack(groupId: string, seq: number): void {
    if (this.#ackPolicy === 'none') return;
    if (this.#ackPolicy === 'each') {
      this.ws.send(`{"t":"ack","groupId":"${groupId}","seq":${seq}}`);
      return;
    }
    this.#acksDue.set(groupId, Math.max(seq, this.#acksDue.get(groupId) ?? 0));
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      for (const [g, s] of this.#acksDue) if (this.ws.readyState === WebSocket.OPEN) this.ws.send(`{"t":"ack","groupId":"${g}","seq":${s}}`);
      this.#acksDue.clear();
    }, this.#ackPolicy === 'sdk' ? SDK_ACK_DELAY_MS : 100);
  }
}

/** [WS-2] u32 header length | header JSON | body. */
export function frame(header: string, body: Uint8Array): Buffer {
  const hLen = Buffer.byteLength(header);
  const out = Buffer.allocUnsafe(4 + hLen + body.length);
  out.writeUInt32BE(hLen, 0);
  out.write(header, 4, 'utf8');
  out.set(body, 4 + hLen);
  return out;
}
