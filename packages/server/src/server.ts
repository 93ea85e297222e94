import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { ServerConfig } from './config/load.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { openBus, openStore } from './backends.ts';
import { createBlobStore } from './blobs/create-blob-store.ts';
import type { ServiceContext } from './services/context.ts';
import type { Services } from './services/services.ts';
import { AccountsService } from './services/accounts.ts';
import { DevicesService } from './services/devices.ts';
import { KeyPackagesService } from './services/keypackages.ts';
import { GroupsService } from './services/groups.ts';
import { DeliveryHub } from './services/delivery.ts';
import { AckBuffer } from './services/ack-buffer.ts';
import { BlobsService } from './services/blobs.ts';
import { DeviceLinksService } from './services/device-links.ts';
import { RoomsService } from './rooms/rooms-service.ts';
import { serveWebApp } from './http/web-app.ts';
import { Router, notFound, sendJson } from './http/router.ts';
import { WsGateway } from './ws/gateway.ts';
import { RoomGateway, ROOMS_WS_PATH } from './rooms/room-gateway.ts';
import { SfuPool } from './rooms/sfu-pool.ts';
import { startSweeper } from './sweeper.ts';

export interface StartOptions {
  /** Where JSON logs go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Check every response and outgoing frame against the protocol schemas (tests). */
  readonly validateOutputs?: boolean;
  /** How often buffered acks are written (tests; default ACK_FLUSH_INTERVAL_MS). */
  readonly ackFlushIntervalMs?: number;
  /** How long a room socket may stay without joining (tests; default ROOM_JOIN_TIMEOUT_MS). */
  readonly roomJoinTimeoutMs?: number;
}

export interface RunningServer extends AsyncDisposable {
  /** Where this process listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly serverName: string;
  /** Stops accepting, closes WebSockets with 1001, finishes in-flight work, closes the database. */
  close(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 5000;

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const validateOutputs = options.validateOutputs ?? false;
  const store = await openStore(config);
  let bus;
  try {
    bus = await openBus(config, `charla-server ${config.host}:${config.port} pid ${process.pid}`);
  } catch (error) {
    await store.close();
    throw error;
  }
  const blobs = createBlobStore(config);
  const metrics = new Metrics();

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const http = createServer({ keepAliveTimeout: 65_000 }, (req, res) => handler(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await bus.close();
    await store.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const publicUrl = config.publicUrl ?? `http://localhost:${port}`;
  const serverName = config.serverName ?? new URL(publicUrl).host.toLowerCase();

  const ctx: ServiceContext = { config: { ...config, publicUrl, serverName }, store, bus, blobs, logger, metrics, now: Date.now };
  const acks = new AckBuffer(store, logger, options.ackFlushIntervalMs);
  const hub = new DeliveryHub(ctx, acks);
  const groups = new GroupsService(ctx, { acks, delivered: (deviceId, groupId, seq) => hub.delivered(deviceId, groupId, seq) });
  const publish = (entries: Parameters<GroupsService['publishEntries']>[0]) => groups.publishEntries(entries);
  const devices = new DevicesService(ctx, publish, acks);
  const accounts = new AccountsService(ctx);
  const services: Services = {
    ctx, accounts, devices, keyPackages: new KeyPackagesService(ctx, devices), groups, hub, acks, blobs: new BlobsService(ctx), deviceLinks: new DeviceLinksService(ctx),
    rooms: new RoomsService(ctx),
  };
  const unsubscribe = bus.subscribe(hub);
  const router = new Router(services, validateOutputs);
  const gateway = new WsGateway(services, validateOutputs);
  const roomGateway = new RoomGateway(services, SfuPool.fromConfig(config.rooms, logger), validateOutputs, options.roomJoinTimeoutMs);
  const sweeper = startSweeper(ctx, () => {
    accounts.pruneLimiter();
    services.deviceLinks.pruneLimiter();
    services.rooms.pruneLimiter();
    roomGateway.touchLiveRooms();
    gateway.pruneBuckets((deviceId) => hub.hasDevice(deviceId));
  });

  handler = (req, res) => {
    const started = performance.now();
    let route = 'unmatched';
    res.on('finish', () => {
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      logger.debug({ method: req.method, route, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'http');
    });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const serve = async (): Promise<void> => {
      if (req.method === 'GET' && path === '/healthz') {
        route = '/healthz';
        // A node without its database or bus cannot serve: a load balancer takes it out of rotation.
        const [db, busOk] = await Promise.all([store.healthy().catch(() => false), bus.healthy().catch(() => false)]);
        const ok = db && busOk;
        sendJson(res, ok ? 200 : 503, { ok, store: db, bus: busOk });
      } else if (req.method === 'GET' && path === '/metrics') {
        route = '/metrics';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
      } else if ((req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/v1/')) {
        route = 'web';
        if (await serveWebApp(req, res, path)) return;
        if (path === '/') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`Charla server ${serverName}\n`);
        else notFound(res);
      } else {
        const matched = await router.handle(req, res, path);
        if (matched === null) notFound(res);
        else route = matched;
      }
    };
    serve().catch((error: unknown) => router.sendError(req, res, error));
  };
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] === ROOMS_WS_PATH) roomGateway.handleUpgrade(req, socket, head);
    else gateway.handleUpgrade(req, socket, head);
  });
  logger.info({ url: `http://${config.host}:${port}`, publicUrl, serverName, registration: config.registration }, 'charla server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      sweeper.stop();
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      hub.closeAll(1001, 'server shutting down');
      await Promise.all([gateway.close(DRAIN_TIMEOUT_MS), roomGateway.close(DRAIN_TIMEOUT_MS)]);
      const timeout = setTimeout(() => http.closeAllConnections(), DRAIN_TIMEOUT_MS);
      await httpClosed;
      clearTimeout(timeout);
      unsubscribe();
      // After the connections: their last acks are in the buffer now.
      await acks.close();
      await bus.close();
      await store.close();
      logger.info('charla server stopped');
      logger.flush();
    })();
    return closing;
  };
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, port, publicUrl, serverName, close, [Symbol.asyncDispose]: close };
}
