import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuMs } from '../procs.ts';
import { Histogram, type HistogramSummary } from '../histogram.ts';
import { nowMs, SENDER_OFFSET, TIME_OFFSET, type Endpoint } from './endpoint.ts';

export type StepSpec =
  | { mode: 'closed'; window: number; warmupMs: number; measureMs: number; serverPids: number[] }
  | { mode: 'open'; rate: number; warmupMs: number; measureMs: number; serverPids: number[] };

export interface StepResult {
  mode: 'closed' | 'open';
  /** Offered messages/s (open loop) or null (closed loop: as fast as confirmations come back). */
  offeredRate: number | null;
  sent: number;
  measureMs: number;
  /** Messages received by a device other than the sender, during the measurement window. */
  deliveries: number;
  deliveriesPerSec: number;
  /** deliveriesPerSec / (receivers per message). */
  messagesPerSec: number;
  latency: HistogramSummary;
  /** Multi-node: latency of deliveries within one node and across nodes. */
  latencySameNode: HistogramSummary;
  latencyCrossNode: HistogramSummary;
  sendFailures: number;
  /** Worst lateness of the open-loop scheduler (generator saturation shows here). */
  maxSchedulerLagMs: number;
  /**
   * The generator's own event-loop delay during the measurement (p99, ms): a receive is stamped
   * only when the loop gets to it, so this much of the measured latency can be the generator's.
   */
  generatorLoopDelayP99Ms: number;
  /** CPU used during the measurement, in % of one core. */
  generatorCpuPct: number;
  serverCpuPct: number;
  /** Deliveries still missing after the drain (0 when the server kept up). */
  undelivered: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Drives senders open loop (a fixed total rate, latency measured from the scheduled time, so a
 * stalled server cannot hide its queueing) or closed loop (a window of unconfirmed messages per
 * sender: the maximum rate), and measures what the receivers get.
 */
export class Traffic {
  /** Filled in by the setup; the first `senderCount` of them send. */
  readonly endpoints: Endpoint[] = [];
  readonly senderCount: number;
  /** Receivers of each message besides its sender. */
  readonly fanout: number;
  #phase: 'idle' | 'warmup' | 'measure' | 'drain' = 'idle';
  #hist = new Histogram();
  #same = new Histogram();
  #cross = new Histogram();
  #deliveries = 0;
  #totalDeliveries = 0;

  constructor(senderCount: number, fanout: number) {
    this.senderCount = senderCount;
    this.fanout = fanout;
  }

  get senders(): Endpoint[] {
    return this.endpoints.slice(0, this.senderCount);
  }

  /** Called for every application message a receiver gets. */
  deliver(receiver: Endpoint, body: Buffer): boolean {
    const sender = body.readUInt32LE(SENDER_OFFSET);
    if (sender === receiver.index) return true; // own echo
    this.#totalDeliveries++;
    if (this.#phase === 'measure') {
      const latency = nowMs() - body.readDoubleLE(TIME_OFFSET);
      this.#deliveries++;
      this.#hist.record(latency);
      (this.endpoints[sender]!.node === receiver.node ? this.#same : this.#cross).record(latency);
    }
    return false;
  }

  async step(spec: StepSpec): Promise<StepResult> {
    this.#hist = new Histogram();
    this.#same = new Histogram();
    this.#cross = new Histogram();
    this.#deliveries = 0;
    this.#totalDeliveries = 0;
    let sent = 0;
    let failures = 0;
    let maxLag = 0;
    const start = nowMs();
    const measureAt = start + spec.warmupMs;
    const endAt = measureAt + spec.measureMs;
    let cpu0 = process.cpuUsage();
    let server0 = spec.serverPids.map(cpuMs);
    let measureStart = measureAt;
    this.#phase = 'warmup';
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    const enterMeasure = (): void => {
      this.#phase = 'measure';
      loopDelay.enable();
      measureStart = nowMs();
      cpu0 = process.cpuUsage();
      server0 = spec.serverPids.map(cpuMs);
    };

    if (spec.mode === 'open') {
      const interval = 1000 / spec.rate;
      const senders = this.senders;
      const n = senders.length;
      for (;;) {
        const now = nowMs();
        if (this.#phase === 'warmup' && now >= measureAt) enterMeasure();
        if (now >= endAt) break;
        const due = Math.floor((now - start) / interval) + 1 - sent;
        if (due > 0) maxLag = Math.max(maxLag, now - (start + sent * interval));
        for (let i = 0; i < due; i++) {
          senders[sent % n]!.send(start + sent * interval, (ok) => {
            if (!ok) failures++;
          });
          sent++;
        }
        await sleep(1);
      }
    } else {
      let stopped = false;
      const pump = (s: Endpoint): void => {
        if (stopped) return;
        sent++;
        s.send(nowMs(), (ok) => {
          if (!ok) failures++;
          pump(s);
        });
      };
      for (const s of this.senders) for (let i = 0; i < spec.window; i++) pump(s);
      while (nowMs() < endAt) {
        if (this.#phase === 'warmup' && nowMs() >= measureAt) enterMeasure();
        await sleep(5);
      }
      stopped = true;
    }

    const measureMs = nowMs() - measureStart;
    const cpu = process.cpuUsage(cpu0);
    loopDelay.disable();
    const server = spec.serverPids.map((pid, i) => cpuMs(pid) - server0[i]!);
    this.#phase = 'drain';
    // Let what was sent arrive (bounded), so the next step starts from an idle server.
    const expected = sent * this.fanout;
    let last = -1;
    const drainEnd = nowMs() + 20_000;
    while (this.#totalDeliveries < expected && nowMs() < drainEnd) {
      if (this.#totalDeliveries === last) {
        await sleep(3000);
        if (this.#totalDeliveries === last) break;
      }
      last = this.#totalDeliveries;
      await sleep(100);
    }
    this.#phase = 'idle';
    const perSec = (this.#deliveries * 1000) / measureMs;
    return {
      mode: spec.mode,
      offeredRate: spec.mode === 'open' ? spec.rate : null,
      sent,
      measureMs,
      deliveries: this.#deliveries,
      deliveriesPerSec: perSec,
      messagesPerSec: perSec / this.fanout,
      latency: this.#hist.summary(),
      latencySameNode: this.#same.summary(),
      latencyCrossNode: this.#cross.summary(),
      sendFailures: failures,
      maxSchedulerLagMs: maxLag,
      // The histogram counts from the timer's due time plus its 1 ms resolution.
      generatorLoopDelayP99Ms: loopDelay.count > 0 ? Math.max(0, loopDelay.percentile(99) / 1e6 - 1) : 0,
      generatorCpuPct: ((cpu.user + cpu.system) / 1000 / measureMs) * 100,
      serverCpuPct: (server.reduce((a, b) => a + b, 0) / measureMs) * 100,
      undelivered: Math.max(0, expected - this.#totalDeliveries),
    };
  }

  close(): void {
    for (const e of this.endpoints) e.close();
  }
}
