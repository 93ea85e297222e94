/**
 * A log-linear latency histogram (HDR-style, no dependency): values in microseconds, 128
 * sub-buckets per power of two, so any percentile is within ~0.8 % of the true value. Sparse
 * JSON form so generators can ship it to the orchestrator and histograms can be merged.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const HALF = SUB >> 1;

function indexOf(us: number): number {
  const v = Math.max(0, Math.min(2 ** 31 - 1, Math.floor(us)));
  if (v < SUB) return v;
  // e ≥ 1: v >>> e falls in [SUB/2, SUB), so each power of two has SUB/2 buckets.
  const e = 31 - Math.clz32(v) - SUB_BITS + 1;
  return SUB + (e - 1) * HALF + (v >>> e) - HALF;
}

function lowerBoundOf(index: number): number {
  if (index < SUB) return index;
  const k = index - SUB;
  const e = Math.floor(k / HALF) + 1;
  return ((k % HALF) + HALF) * 2 ** e;
}

export interface HistogramSummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Histogram {
  readonly counts = new Map<number, number>();
  count = 0;
  #sumUs = 0;
  #maxUs = 0;

  /** Records a latency in milliseconds. */
  record(ms: number): void {
    const us = ms * 1000;
    const i = indexOf(us);
    this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    this.count++;
    this.#sumUs += us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  merge(other: Histogram): void {
    for (const [i, n] of other.counts) this.counts.set(i, (this.counts.get(i) ?? 0) + n);
    this.count += other.count;
    this.#sumUs += other.#sumUs;
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
  }

  /** The value (ms) at quantile q in [0, 1]. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const i of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(i)!;
      if (seen >= rank) return Math.min(lowerBoundOf(i + 1), this.#maxUs) / 1000;
    }
    return this.#maxUs / 1000;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.#maxUs / 1000,
      mean: this.count === 0 ? NaN : this.#sumUs / this.count / 1000,
    };
  }

  toJSON(): { counts: [number, number][]; sumUs: number; maxUs: number } {
    return { counts: [...this.counts], sumUs: this.#sumUs, maxUs: this.#maxUs };
  }

  static fromJSON(j: { counts: [number, number][]; sumUs: number; maxUs: number }): Histogram {
    const h = new Histogram();
    for (const [i, n] of j.counts) {
      h.counts.set(i, n);
      h.count += n;
    }
    h.#sumUs = j.sumUs;
    h.#maxUs = j.maxUs;
    return h;
  }
}
