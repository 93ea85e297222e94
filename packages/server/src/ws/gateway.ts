import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PREFIX } from '@charla/protocol';
import type { Services } from '../services/services.ts';
import type { TokenBucket } from '../services/rate-limit.ts';
import { Connection } from './connection.ts';

export const WS_PATH = `${API_PREFIX}/ws`;

/** Accepts WebSocket upgrades on /v1/ws and gives each socket a Connection. */
export class WsGateway {
  readonly #wss: WebSocketServer;
  readonly #services: Services;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #validateOutputs: boolean;
  readonly #connections = new Set<Connection>();

  constructor(services: Services, validateOutputs: boolean) {
    this.#services = services;
    this.#validateOutputs = validateOutputs;
    const { maxFrameBytes } = services.ctx.config.limits;
    // A margin above maxFrameBytes so a slightly-too-large frame gets FRAME_TOO_LARGE and the
    // connection survives; beyond it ws closes with 1009 without buffering the rest.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes + Math.max(65_536, maxFrameBytes >> 2), perMessageDeflate: false });
  }

  #accept(ws: WebSocket, socket: Duplex): void {
    const { metrics } = this.#services.ctx;
    metrics.connections.value++;
    ws.on('close', () => metrics.connections.value--);
    const conn = new Connection(ws, socket, { services: this.#services, buckets: this.#buckets, validateOutputs: this.#validateOutputs });
    this.#connections.add(conn);
    ws.on('close', () => this.#connections.delete(conn));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // The socket ws now writes to: Connection corks it per turn (ws has no API for that).
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, socket));
  }

  /** Drops rate-limit buckets of devices with no connection left (they start full anyway). */
  pruneBuckets(connectedDevices: (deviceId: string) => boolean): void {
    for (const deviceId of this.#buckets.keys()) if (!connectedDevices(deviceId)) this.#buckets.delete(deviceId);
  }

  /** Lets frames being processed finish (their writes complete), then drops what is left. */
  async close(timeoutMs: number): Promise<void> {
    for (const ws of this.#wss.clients) ws.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#connections].map((c) => c.idle())),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
