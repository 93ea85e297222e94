/**
 * The Node flags the server runs with: `npm start` (package.json), the systemd unit in
 * docs/self-hosting.md and the benchmark all start it with them (node-flags.test.ts keeps the
 * first two in step with this list). V8 reads them at start only: neither NODE_OPTIONS nor
 * v8.setFlagsFromString can set them.
 *
 * `--initial-old-space-size=256`: with a live heap this small (15–20 MB), V8 starts a full
 * collection (mark-compact, a 4–13 ms pause plus incremental steps) each time old space has grown
 * by a few MB, every 0.5–1.5 s under load, and those pauses were most of the 1:1 latency tail. With
 * room for 256 MB before the first one, a benchmark run had none (docs/benchmarks.md). The cost is
 * memory: up to that much garbage before it is collected (8.3 instead of 7.1 KiB per idle
 * connection at 19,000 connections).
 *
 * `--external-memory-accounted-in-global-limit`: even with that room, V8 still started a full
 * collection each time the memory outside its heap (Buffers: frames read and written) had grown by
 * 64 MB since the last one, every 3–6 s under load (`--trace-incremental-marking` gives the
 * reason: "external memory pressure"), and a run with such collections had a 1:1 p99 of 40–80 ms
 * where one without had 10–20 ms. This flag counts that memory in the heap's global limit instead
 * (512 MB with the flag above): in 8 benchmark runs 2 had full collections, against most runs
 * without it (docs/benchmarks.md, "External memory"). The cost is memory again: Buffers no longer
 * collected are bounded by that limit, not by 64 MB.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256', '--external-memory-accounted-in-global-limit'];
