import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTROL_PATH, ControlClientFrame, MAX_CONTROL_FRAME_BYTES, parseControlFrame, type ControlServerFrame } from './control-protocol.ts';
import type { Logger } from './logger.ts';
import { createSfu, type LocalParticipant, type LocalSfu, type SfuOptions } from './sfu.ts';
import type { SessionDescription } from './types.ts';

/**
 * `charla sfu`: the SFU as its own process. Charla servers connect to its control WebSocket
 * (control-protocol.ts) with a shared secret and drive it through `connectSfu` (remote.ts), which
 * implements the same `Sfu` interface as the in-process SFU. Participants belong to the control
 * connection that joined them: when that connection drops, nobody can signal them any more, so
 * they are removed.
 */

export type SfuServiceOptions = Omit<SfuOptions, 'onSpeakers' | 'onDisconnected' | 'onNegotiationError'> & {
  host: string;
  /** 0 picks a free port (see `port` on the result). */
  port: number;
  /** Shared with the Charla servers (config); compared in constant time. */
  secret: string;
  logger?: Logger;
  /** How long `drain()` waits for participants to leave before closing anyway (default 30 s). */
  drainTimeoutMs?: number;
  /** How long the SFU waits for a participant's answer (default 20 s). */
  answerTimeoutMs?: number;
};

export type SfuService = AsyncDisposable & {
  readonly url: string;
  readonly port: number;
  readonly sfu: LocalSfu;
  /** Refuses new joins, waits for the room to empty (or the drain timeout), then closes. */
  drain(): Promise<void>;
  close(): Promise<void>;
};

type PendingOffer = { resolve: (answer: SessionDescription) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

type Connection = {
  ws: WebSocket;
  participants: Map<string, { roomId: string; participant: LocalParticipant; watching: boolean }>;
  offers: Map<number, PendingOffer>;
  nextOfferId: number;
};

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export async function startSfuService(options: SfuServiceOptions): Promise<SfuService> {
  if (options.secret.length < 16) throw new Error('the SFU secret must be at least 16 characters');
  const secretDigest = digest(options.secret);
  const log = options.logger;
  const answerTimeoutMs = options.answerTimeoutMs ?? 20_000;
  const connections = new Set<Connection>();
  const owners = new Map<string, Connection>();
  let draining = false;

  const send = (conn: Connection, frame: ControlServerFrame) => {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(frame));
  };

  const sfu = createSfu({
    ...options,
    onSpeakers: (roomId, participantIds) => {
      for (const conn of connections) {
        if ([...conn.participants.values()].some((p) => p.roomId === roomId)) send(conn, { t: 'speakers', roomId, participantIds });
      }
    },
    onDisconnected: (roomId, participantId, reason) => {
      const conn = owners.get(participantId);
      owners.delete(participantId);
      if (!conn) return;
      conn.participants.delete(participantId);
      send(conn, { t: 'disconnected', roomId, participantId, reason });
      sendLoad(conn);
    },
    onNegotiationError: (participantId, error) => {
      log?.warn({ participantId, err: error instanceof Error ? error.message : String(error) }, 'negotiation failed');
    },
  });

  function sendLoad(conn: Connection): void {
    const roomIds = new Set([...conn.participants.values()].map((p) => p.roomId));
    const rooms = [...roomIds].flatMap((roomId) => {
      const stats = sfu.stats(roomId);
      return stats ? [{ roomId, ...stats }] : [];
    });
    send(conn, { t: 'load', load: sfu.load(), rooms, draining });
  }

  /** Reports when the participant's negotiation queue goes idle (and again after each new round). */
  function watchNegotiation(conn: Connection, participantId: string): void {
    const entry = conn.participants.get(participantId);
    if (!entry || entry.watching) return;
    entry.watching = true;
    const promise = entry.participant.negotiated();
    const settle = (ok: boolean, error?: unknown) => {
      entry.watching = false;
      if (conn.participants.get(participantId) !== entry) return;
      if (entry.participant.negotiated() !== promise) return watchNegotiation(conn, participantId);
      const message = error === undefined ? undefined : (error instanceof Error ? error.message : String(error)).slice(0, 500);
      send(conn, { t: 'negotiated', participantId, ok, ...(message === undefined ? {} : { message }) });
    };
    promise.then(() => settle(true), (error: unknown) => settle(false, error));
  }

  function signalThrough(conn: Connection, participantId: string) {
    return (offer: SessionDescription): Promise<SessionDescription> =>
      new Promise((resolve, reject) => {
        const offerId = conn.nextOfferId++;
        const timer = setTimeout(() => {
          conn.offers.delete(offerId);
          reject(new Error('no answer in time'));
        }, answerTimeoutMs);
        conn.offers.set(offerId, { resolve, reject, timer });
        send(conn, { t: 'offer', participantId, offerId, sdp: offer.sdp });
      });
  }

  async function handle(conn: Connection, frame: ControlClientFrame): Promise<void> {
    switch (frame.t) {
      case 'join': {
        if (draining || owners.has(frame.participantId)) {
          const message = draining ? 'the SFU is draining' : 'participant already joined';
          send(conn, { t: 'negotiated', participantId: frame.participantId, ok: false, message });
          if (draining) send(conn, { t: 'disconnected', roomId: frame.roomId, participantId: frame.participantId, reason: 'sfu-lost' });
          return;
        }
        const participant = sfu.join(frame.roomId, frame.participantId, signalThrough(conn, frame.participantId), frame.view, frame.simulcast !== undefined ? { simulcast: frame.simulcast } : {});
        owners.set(frame.participantId, conn);
        conn.participants.set(frame.participantId, { roomId: frame.roomId, participant, watching: false });
        watchNegotiation(conn, frame.participantId);
        sendLoad(conn);
        return;
      }
      case 'answer':
      case 'answerFailed': {
        const pending = conn.offers.get(frame.offerId);
        if (!pending) return;
        conn.offers.delete(frame.offerId);
        clearTimeout(pending.timer);
        if (frame.t === 'answer') pending.resolve({ type: 'answer', sdp: frame.sdp });
        else pending.reject(new Error(frame.message));
        // A later round may have been queued behind this one; report it when it settles too.
        watchNegotiation(conn, frame.participantId);
        return;
      }
      case 'leave': {
        if (owners.get(frame.participantId) === conn) {
          owners.delete(frame.participantId);
          conn.participants.delete(frame.participantId);
          await sfu.leave(frame.participantId);
        }
        send(conn, { t: 'left', id: frame.id });
        sendLoad(conn);
        return;
      }
      case 'setView':
        if (owners.get(frame.participantId) === conn) sfu.setView(frame.participantId, frame.view);
        return;
    }
  }

  async function dropConnection(conn: Connection): Promise<void> {
    if (!connections.delete(conn)) return;
    for (const pending of conn.offers.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('control connection closed'));
    }
    conn.offers.clear();
    const ids = [...conn.participants.keys()];
    conn.participants.clear();
    for (const id of ids) owners.delete(id);
    await Promise.all(ids.map((id) => sfu.leave(id)));
    log?.info({ participants: ids.length }, 'control connection closed');
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CONTROL_FRAME_BYTES });
  wss.on('connection', (ws: WebSocket) => {
    const conn: Connection = { ws, participants: new Map(), offers: new Map(), nextOfferId: 1 };
    connections.add(conn);
    log?.info('control connection opened');
    ws.on('message', (data, isBinary) => {
      const frame = parseControlFrame(ControlClientFrame, data, isBinary);
      if (!frame) {
        log?.warn('invalid control frame');
        ws.close(1008, 'invalid frame');
        return;
      }
      handle(conn, frame).catch((error: unknown) => {
        log?.error({ err: error instanceof Error ? error.message : String(error) }, 'control frame failed');
      });
    });
    ws.on('close', () => void dropConnection(conn));
    ws.on('error', () => ws.terminate());
    sendLoad(conn);
  });

  const http = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: !draining, load: sfu.load() }));
      return;
    }
    res.writeHead(404).end();
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    // Compare digests: constant time whatever the lengths.
    const ok = timingSafeEqual(digest(given), secretDigest);
    const path = (req.url ?? '').split('?')[0];
    if (path !== CONTROL_PATH || !ok) {
      log?.warn({ path, authorized: ok }, 'control upgrade refused');
      socket.end(`HTTP/1.1 ${ok ? '404 Not Found' : '401 Unauthorized'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `ws://${host}:${port}${CONTROL_PATH}`;
  const loadTimer = setInterval(() => connections.forEach(sendLoad), 1000);
  loadTimer.unref();
  log?.info({ url }, 'listening');

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(loadTimer);
      for (const conn of connections) conn.ws.close(1001, 'sfu closing');
      await sfu.close();
      await Promise.all([...connections].map((conn) => dropConnection(conn)));
      for (const ws of wss.clients) ws.terminate();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
      log?.info('closed');
    })();
    return closing;
  }

  async function drain(): Promise<void> {
    draining = true;
    connections.forEach(sendLoad);
    const deadline = Date.now() + (options.drainTimeoutMs ?? 30_000);
    log?.info({ participants: sfu.load().participants }, 'draining');
    while (sfu.load().participants > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await close();
  }

  return { url, port, sfu, drain, close, [Symbol.asyncDispose]: close };
}
