import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file (a PASSIVE checkpoint: it never waits for, nor
 * blocks, readers and writers) on a thread of its own, when CHECKPOINT_FRAMES frames wait to be
 * copied: what SQLite's automatic checkpoint does, but SQLite runs it inside a COMMIT on the event
 * loop, with two fsyncs and a few MB of copying, stalling the whole server (checkpointer.ts).
 * Checkpointing more often than that measured worse: hot pages are copied (and synced) again and
 * again. The counts are read every POLL_INTERVAL_MS from the WAL-index header in the -shm file
 * (https://www.sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at byte 96, native order).
 *
 * The WAL starts over from its first frame only when a write begins after a checkpoint copied all
 * of it. Under steady writes a PASSIVE checkpoint never gets there (new frames arrive while it
 * copies), and the WAL grew without bound: 500 MB in a minute of the 1:1 benchmark, with every
 * page lookup searching a longer WAL index and every sync extending the file. So once the WAL is
 * RESTART_FRAMES long, this thread asks the store to hold its writes ('hold'; the store answers
 * 'held' between two transactions), copies the few frames written since its last pass, which now
 * completes, and lets the writes go on ('release'): the next one restarts the WAL at its start.
 */
const POLL_INTERVAL_MS = 100;
const CHECKPOINT_FRAMES = 1_000;
const RESTART_FRAMES = 8_192;

const LE = endianness() === 'LE';

interface WalState {
  /** Frames in the WAL. */
  readonly frames: number;
  /** Frames not yet copied into the database file. */
  readonly waiting: number;
}

function walState(fd: number, header: Buffer): WalState {
  if (readSync(fd, header, 0, header.length, 0) < header.length) return { frames: 0, waiting: 0 };
  const frames = LE ? header.readUInt32LE(16) : header.readUInt32BE(16);
  const backfilled = LE ? header.readUInt32LE(96) : header.readUInt32BE(96);
  return { frames, waiting: frames - backfilled };
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-thread.ts runs as a worker thread');
const { path, restartFrames } = workerData as { path: string; restartFrames?: number };
const restartAt = restartFrames ?? RESTART_FRAMES;
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// The store's connection opened the WAL index before starting this thread: the -shm file exists.
const shm = openSync(`${path}-shm`, 'r');
const header = Buffer.alloc(100);
let holding = false;
const timer = setInterval(() => {
  if (holding) return;
  if (walState(shm, header).waiting >= CHECKPOINT_FRAMES) checkpoint.get();
  if (walState(shm, header).frames >= restartAt) {
    holding = true;
    port.postMessage('hold');
  }
}, POLL_INTERVAL_MS);

port.on('message', (message: unknown) => {
  if (message === 'held') {
    // No write runs now: this pass copies the rest of the WAL.
    try {
      checkpoint.get();
    } finally {
      holding = false;
      port.postMessage('release');
    }
    return;
  }
  if (message !== 'close') return;
  clearInterval(timer);
  closeSync(shm);
  db.close();
  port.close();
});
