import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The baseline: the least a Node WebSocket relay can do. No auth, no storage, no JSON. A client
 * joins groups through the URL (`/?g=1,2`); each binary message starts with a u32 group number
 * and is forwarded as is to every member of that group, the sender included (Charla echoes too).
 * Anything Charla does on top of this is the price of the product.
 */
const port = Number(process.env.RELAY_PORT ?? 0);
const groups = new Map<number, Set<WebSocket>>();

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('relay\n');
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 1 << 20 });

wss.on('connection', (ws, req) => {
  const joined: number[] = [];
  const g = new URL(req.url ?? '/', 'http://relay').searchParams.get('g');
  for (const part of g ? g.split(',') : []) {
    const id = Number(part);
    let set = groups.get(id);
    if (!set) groups.set(id, (set = new Set()));
    set.add(ws);
    joined.push(id);
  }
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length < 4) return; // acks and other text frames: dropped
    const members = groups.get(data.readUInt32BE(0));
    if (members) for (const m of members) m.send(data, { binary: true });
  });
  ws.on('close', () => {
    for (const id of joined) groups.get(id)?.delete(ws);
  });
  ws.on('error', () => undefined);
});

http.listen(port, '127.0.0.1', () => {
  const addr = http.address();
  console.error(`relay listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.close(() => process.exit(0));
});
