/** A token bucket: `rate` tokens per second refill up to `burst`; each frame costs one. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token; returns 0 if allowed, else the milliseconds until one is available. */
  take(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }
}

/**
 * Counts failures per key over a sliding window (failed logins per username and per address).
 * Memory stays bounded: keys whose failures all left the window are pruned as they are touched and
 * by `prune()`.
 */
export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #failures = new Map<string, number[]>();

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** 0 if the key may try again, else milliseconds until its oldest failure leaves the window. */
  retryAfter(key: string, now: number): number {
    const list = this.#recent(key, now);
    if (list.length < this.#max) return 0;
    return list[list.length - this.#max]! + this.#windowMs - now;
  }

  fail(key: string, now: number): void {
    const list = this.#recent(key, now);
    list.push(now);
    if (list.length > this.#max) list.splice(0, list.length - this.#max);
    this.#failures.set(key, list);
  }

  prune(now: number): void {
    for (const key of this.#failures.keys()) this.#recent(key, now);
  }

  #recent(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => t > now - this.#windowMs);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }
}
