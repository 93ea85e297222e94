import WebSocket from 'ws';

/** A client of bench/relay.ts: joins groups by URL, sends `u32 group | body`, receives the same. */
export class RelayConn {
  readonly ws: WebSocket;
  onApp: (body: Buffer) => void = () => undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.onApp(data.subarray(4)));
  }

  static open(baseWsUrl: string, groups: readonly number[], localAddress?: string): Promise<RelayConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseWsUrl}/?g=${groups.join(',')}`, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
      const conn = new RelayConn(ws);
      ws.once('open', () => resolve(conn));
      ws.once('error', reject);
    });
  }

  /** `frame` already starts with the u32 group number (see Endpoint). */
  send(frame: Buffer): void {
    this.ws.send(frame);
  }

  close(): void {
    this.ws.terminate();
  }
}
