/**
 * A minimal Prometheus registry: labelled counters and sampled gauges, rendered as text format
 * 0.0.4. Enough for /metrics without a dependency.
 */
type Labels = Readonly<Record<string, string>>;

/** One label set of a counter, its key built once: hot paths (every frame) keep these. */
export interface CounterHandle {
  inc(by?: number): void;
}

class Counter {
  readonly name: string;
  readonly help: string;
  readonly values = new Map<string, number>();
  /** Handles by the value of the counter's single label (see `at`). */
  readonly #handles = new Map<string, CounterHandle>();
  readonly #label: string | undefined;
  constructor(name: string, help: string, label?: string) {
    this.name = name;
    this.help = help;
    this.#label = label;
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  /** The handle for one value of the counter's single label, made on first use. */
  at(value: string): CounterHandle {
    let h = this.#handles.get(value);
    if (h === undefined) {
      if (this.#label === undefined) throw new Error(`${this.name} has no single label`);
      const key = labelText({ [this.#label]: value });
      const values = this.values;
      h = { inc: (by = 1) => void values.set(key, (values.get(key) ?? 0) + by) };
      this.#handles.set(value, h);
    }
    return h;
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export class Metrics {
  readonly connections = { value: 0 };
  readonly framesIn = new Counter('charla_ws_frames_in_total', 'WebSocket frames received, by type.', 'type');
  readonly framesOut = new Counter('charla_ws_frames_out_total', 'WebSocket frames sent, by type.', 'type');
  readonly messagesStored = new Counter('charla_messages_stored_total', 'Group log entries stored, by kind.', 'kind');
  readonly errors = new Counter('charla_errors_total', 'Error answers, by code.');
  readonly httpRequests = new Counter('charla_http_requests_total', 'HTTP requests, by route and status.');
  readonly deliveryFills = new Counter('charla_delivery_fills_total', "Reads of a group's log that fill a hole in live delivery (several nodes, bus reconnects), by reason.");
  readonly #gauges: { name: string; help: string; read: () => number }[] = [];

  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.push({ name, help, read });
  }

  render(): string {
    const lines: string[] = [];
    const mem = process.memoryUsage();
    const gauges = [
      { name: 'charla_ws_connections', help: 'Open WebSocket connections.', read: () => this.connections.value },
      { name: 'process_resident_memory_bytes', help: 'Resident memory.', read: () => mem.rss },
      { name: 'nodejs_heap_used_bytes', help: 'V8 heap used.', read: () => mem.heapUsed },
      ...this.#gauges,
    ];
    for (const g of gauges) lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${g.read()}`);
    for (const c of [this.framesIn, this.framesOut, this.messagesStored, this.errors, this.httpRequests, this.deliveryFills]) {
      lines.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`);
      for (const [labels, v] of c.values) lines.push(`${c.name}${labels} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
