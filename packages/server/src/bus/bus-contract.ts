import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { randomId } from '@charla/protocol';
import type { LogEntry } from '../store/types.ts';
import type { Bus, BusListener, ControlEvent, GroupEvent } from './bus.ts';

type TestFn = (name: string, fn: () => Promise<void>) => unknown;

/** Buses of `n` nodes sharing one backend (for the in-process bus: the same instance n times). */
export type MakeNodes = (n: number) => Promise<{ buses: Bus[]; dispose(): Promise<void> }>;

const entry = (groupId: string, seq: number, body: Uint8Array | null = null): LogEntry => ({
  groupId, seq, kind: 'app', sender: { username: 'ana', deviceId: 'dev' }, msgId: `m${seq}`, epoch: 3, ts: 1700000000000 + seq,
  expiresAt: null, subjectUsername: null, target: null, recipients: null, body,
});

function recorder(): BusListener & { events: { groupId: string; event: GroupEvent }[]; controls: ControlEvent[] } {
  const events: { groupId: string; event: GroupEvent }[] = [];
  const controls: ControlEvent[] = [];
  return { events, controls, onGroupEvent: (groupId, event) => events.push({ groupId, event }), onControl: (c) => controls.push(c) };
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * What every Bus must do (bus.ts), run against fresh buses per case: memory-bus.test.ts and
 * nats-bus.test.ts run this same function.
 */
export function busContract(test: TestFn, makeNodes: MakeNodes): void {
  const run = (name: string, n: number, fn: (buses: Bus[]) => Promise<void>) =>
    test(`[bus] ${name}`, async () => {
      const { buses, dispose } = await makeNodes(n);
      try {
        await fn(buses);
      } finally {
        await dispose();
      }
    });

  run('[BUS-1] a node hears its own events and control messages in publish order, only after publish() returned', 1, async ([bus]) => {
    const r = recorder();
    bus!.subscribe(r);
    const g = randomId(16);
    await bus!.publish(g, { entry: entry(g, 1) });
    assert.equal(r.events.length, 0, 'delivered inside publish(): the sender would see its event before its ok');
    await bus!.publishControl({ type: 'joined', groupId: g, deviceId: 'd' });
    await bus!.publish(g, { entry: entry(g, 2) });
    await until(() => r.events.length === 2 && r.controls.length === 1, 'own events');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(r.events.map((e) => e.event.entry.seq), [1, 2]);
    assert.deepEqual(r.controls, [{ type: 'joined', groupId: g, deviceId: 'd' }]);
  });

  run('[BUS-2] events one node publishes reach every node in publish order per group, bytes and flags intact', 3, async (buses) => {
    const listeners = buses.map((b) => {
      const r = recorder();
      b.subscribe(r);
      return r;
    });
    const [g1, g2] = [randomId(16), randomId(16)];
    const body = randomBytes(300);
    const sent: { groupId: string; event: GroupEvent }[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      for (const g of [g1, g2]) {
        const event: GroupEvent = seq === 5 ? { entry: entry(g, seq, body), removed: ['x', 'y'] } : { entry: entry(g, seq, seq % 2 ? body.subarray(0, seq) : null) };
        sent.push({ groupId: g, event });
        await buses[0]!.publish(g, event);
      }
    }
    const typing: GroupEvent = { entry: { ...entry(g1, 0, randomBytes(5)) }, ephemeral: true };
    await buses[0]!.publish(g1, typing);
    sent.push({ groupId: g1, event: typing });
    await until(() => listeners.every((l) => l.events.length === sent.length), 'every node got every event');
    for (const l of listeners) {
      for (const g of [g1, g2]) {
        const got = l.events.filter((e) => e.groupId === g).map((e) => e.event);
        const want = sent.filter((e) => e.groupId === g).map((e) => e.event);
        assert.equal(got.length, want.length);
        got.forEach((e, i) => {
          const w = want[i]!;
          assert.deepEqual({ ...e.entry, body: e.entry.body && [...e.entry.body] }, { ...w.entry, body: w.entry.body && [...w.entry.body] });
          assert.equal(e.ephemeral === true, w.ephemeral === true);
          assert.deepEqual(e.removed, w.removed);
        });
      }
    }
  });

  run('[BUS-3] a control event reaches every node exactly once, the publishing one included', 3, async (buses) => {
    const listeners = buses.map((b) => {
      const r = recorder();
      b.subscribe(r);
      return r;
    });
    const deviceId = randomId(16);
    await buses[1]!.publishControl({ type: 'deviceRevoked', deviceId });
    await until(() => listeners.every((l) => l.controls.length >= 1), 'control everywhere');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const l of listeners) assert.deepEqual(l.controls, [{ type: 'deviceRevoked', deviceId }]);
  });

  run('[BUS-4] unsubscribing stops delivery; a connected bus is healthy', 2, async (buses) => {
    const r = recorder();
    const off = buses[1]!.subscribe(r);
    assert.equal(await buses[0]!.healthy(), true);
    const g = randomId(16);
    await buses[0]!.publish(g, { entry: entry(g, 1) });
    await until(() => r.events.length === 1, 'first event');
    off();
    await buses[0]!.publish(g, { entry: entry(g, 2) });
    await buses[0]!.publishControl({ type: 'deviceRevoked', deviceId: 'z' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(r.events.length, 1);
    assert.equal(r.controls.length, 0);
  });
}
