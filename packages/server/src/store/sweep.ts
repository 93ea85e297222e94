/**
 * How both stores sweep ([DEL-7]): many short deletes instead of one over the whole log, so a
 * sweep never holds a node's event loop (SQLite) or one long transaction (PostgreSQL). One DELETE
 * over a minute of traffic held the loop for ~0.5 s at 2,000 group msgs/s (docs/benchmarks.md).
 */

/** Rows one sweep statement deletes at most. */
export const SWEEP_CHUNK_ROWS = 2_000;

/**
 * The seq ranges [from, upTo] of at most SWEEP_CHUNK_ROWS seqs that cover [first, last]. Seqs are
 * dense but for entries already gone, so a range holds at most a chunk of rows.
 */
export function* seqChunks(first: number, last: number): Generator<readonly [from: number, upTo: number]> {
  for (let from = first; from <= last; from += SWEEP_CHUNK_ROWS) yield [from, Math.min(last, from + SWEEP_CHUNK_ROWS - 1)];
}

/** Runs `deleteChunk` (at most SWEEP_CHUNK_ROWS rows each) until one deletes fewer; the total deleted. */
export async function deleteUntilShort(deleteChunk: () => Promise<number>): Promise<number> {
  let n = 0;
  for (;;) {
    const deleted = await deleteChunk();
    n += deleted;
    if (deleted < SWEEP_CHUNK_ROWS) return n;
  }
}
