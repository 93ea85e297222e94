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
 *
 * `--no-allocation-site-pretenuring`: V8 watches where objects are allocated, and once most of a
 * site's objects survive a young collection it allocates that site's objects in old space directly
 * ("pretenuring"). Under a burst (the 1:1 benchmark's saturated step, or any backlog) that happens to
 * the per-message objects (the decoded frame header, the log entry) that normally die within
 * milliseconds, and V8 kept them pretenured afterwards: old space then grew by 12 MB/s at 23,000–
 * 25,000 msgs/s (2.2 MB per young collection, 520 bytes per message), which brought a full collection
 * every 11–12 s, and each one put the p99 of the 5 s around it at 65–92 ms instead of 8–14 ms.
 * Young collections were slower too (3.8–7 ms against 0.6–1.9 ms). Without it, old space grew by
 * 3.4 MB/s and no full collection ran in 40 s of load (docs/benchmarks.md, "V8's pretenuring was
 * the 1:1 half-rate tail"); the CPU per message changed by no more than the machine's drift. What
 * V8 loses is the pretenuring of objects that do live long; the server has few of those (a live
 * heap of 25 MB).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256', '--external-memory-accounted-in-global-limit', '--no-allocation-site-pretenuring'];
