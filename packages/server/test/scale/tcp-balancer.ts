import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A round-robin TCP load balancer on loopback, like a production proxy in front of several
 * nodes: each new client connection goes to the next backend that accepts it (dead ones are
 * skipped), and when a backend dies its clients' connections are cut, so they reconnect.
 */
export class TcpBalancer {
  readonly #server: Server;
  readonly #backends: { host: string; port: number }[] = [];
  readonly #sockets = new Set<Socket>();
  #next = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<TcpBalancer> {
    const server = createServer();
    const lb = new TcpBalancer(server);
    server.on('connection', (client) => lb.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  addBackend(url: string): void {
    const u = new URL(url);
    this.#backends.push({ host: u.hostname, port: Number(u.port) });
  }

  #accept(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const start = this.#next++;
    const tryBackend = (attempt: number): void => {
      if (attempt >= this.#backends.length || client.destroyed) {
        client.destroy();
        return;
      }
      const b = this.#backends[(start + attempt) % this.#backends.length]!;
      const upstream = connect(b.port, b.host);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        this.#sockets.add(upstream);
        upstream.on('close', () => this.#sockets.delete(upstream));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
      upstream.on('error', () => {
        if (connected) upstream.destroy();
        else tryBackend(attempt + 1);
      });
    };
    tryBackend(0);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
