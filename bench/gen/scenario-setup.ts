import { randomBytes } from 'node:crypto';
import { randomId } from '@charla/protocol';
import { CharlaConn, type AckPolicy } from './charla-conn.ts';
import { CharlaEndpoint, filler, RelayEndpoint, type Endpoint } from './endpoint.ts';
import { RelayConn } from './relay-conn.ts';
import { newDevice, pool, register, runPrefix, type BenchDevice } from './setup.ts';
import { Traffic } from './traffic.ts';

/** Who talks to whom: 1:1 pairs (both send), or one group where the first `senders` members send. */
export type Shape = { type: 'pairs'; pairs: number } | { type: 'group'; members: number; senders: number };

export interface TrafficSetup {
  kind: 'charla' | 'relay';
  /** One base URL per server node; setup goes through the first (nodes share the database). */
  urls: string[];
  shape: Shape;
  bodySize: number;
  ack: AckPolicy;
}

const wsUrl = (base: string): string => `${base.replace(/^http/, 'ws')}/v1/ws`;

/**
 * Node of each endpoint. Pairs: (0,0) (1,0) (0,1) (1,1) in turn, so half the pairs cross nodes and
 * both nodes carry the same load. Group members alternate.
 */
function nodeOf(shape: Shape, index: number, nodes: number): number {
  if (nodes === 1) return 0;
  if (shape.type === 'group') return index % nodes;
  const pair = index >> 1;
  return index % 2 === 0 ? pair % 2 : (pair >> 1) % 2;
}

export async function setupTraffic(s: TrafficSetup): Promise<Traffic> {
  const template = filler(s.bodySize);
  const count = s.shape.type === 'pairs' ? s.shape.pairs * 2 : s.shape.members;
  const groupOf = (i: number): number => (s.shape.type === 'pairs' ? i >> 1 : 0);
  const senderCount = s.shape.type === 'pairs' ? count : s.shape.senders;
  const traffic = new Traffic(senderCount, s.shape.type === 'pairs' ? 1 : s.shape.members - 1);
  const endpoints = traffic.endpoints;

  if (s.kind === 'relay') {
    const base = s.urls[0]!.replace(/^http/, 'ws');
    await pool(count, 64, async (i) => {
      const conn = await RelayConn.open(base, [groupOf(i)]);
      const ep = new RelayEndpoint(i, conn, groupOf(i), template);
      conn.onApp = (body) => {
        if (traffic.deliver(ep, body)) ep.echoed();
      };
      endpoints[i] = ep;
    });
  } else {
    const prefix = runPrefix();
    const setupUrl = s.urls[0]!;
    const accounts = await pool(count, 16, (i) => register(setupUrl, `${prefix}-${i}`));
    const devices = await pool(count, 16, (i) => newDevice(setupUrl, accounts[i]!, true));
    const conns = await pool(count, 64, async (i) => {
      const conn = await CharlaConn.open(wsUrl(s.urls[nodeOf(s.shape, i, s.urls.length)]!), s.ack);
      await conn.auth(devices[i]!.token);
      return conn;
    });
    // Groups: the first device of each creates it and adds the others in one commit (epoch 0 → 1).
    const creators = s.shape.type === 'pairs' ? Array.from({ length: s.shape.pairs }, (_, p) => 2 * p) : [0];
    const groupIds = new Map<number, string>();
    await pool(creators.length, 32, async (k) => {
      const c = creators[k]!;
      const groupId = randomId();
      const members: BenchDevice[] = devices.filter((_, i) => groupOf(i) === groupOf(c) && i !== c);
      await conns[c]!.request({ t: 'createGroup', groupId });
      const commit = randomBytes(48);
      const welcome = randomBytes(80);
      await conns[c]!.request(
        { t: 'commit', groupId, epoch: 0, msgId: randomId(), add: members.map((d) => d.deviceId), remove: [], commitBytes: commit.length },
        Buffer.concat([commit, welcome]),
      );
      groupIds.set(groupOf(c), groupId);
    });
    await Promise.all(conns.map((c) => c.synced));
    for (let i = 0; i < count; i++) {
      const ep = new CharlaEndpoint(i, nodeOf(s.shape, i, s.urls.length), conns[i]!, groupIds.get(groupOf(i))!, 1, template);
      conns[i]!.onApp = (body) => traffic.deliver(ep, body);
      endpoints[i] = ep;
    }
  }
  return traffic;
}

/** Charla errors seen by the connections (e.g. RATE_LIMITED), summed. */
export function errorCounts(endpoints: readonly Endpoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of endpoints) {
    if (!(e instanceof CharlaEndpoint)) continue;
    for (const [code, n] of e.conn.errors) out[code] = (out[code] ?? 0) + n;
  }
  return out;
}
