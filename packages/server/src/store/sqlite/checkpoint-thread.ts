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
 * again. The count is read every POLL_INTERVAL_MS from the WAL-index header in the -shm file
 * (https://www.sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at byte 96, native order).
 */
const POLL_INTERVAL_MS = 100;
const CHECKPOINT_FRAMES = 1_000;

const LE = endianness() === 'LE';

function waitingFrames(fd: number, header: Buffer): number {
  if (readSync(fd, header, 0, header.length, 0) < header.length) return 0;
  return LE ? header.readUInt32LE(16) - header.readUInt32LE(96) : header.readUInt32BE(16) - header.readUInt32BE(96);
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-thread.ts runs as a worker thread');
const path = (workerData as { path: string }).path;
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// The store's connection opened the WAL index before starting this thread: the -shm file exists.
const shm = openSync(`${path}-shm`, 'r');
const header = Buffer.alloc(100);
const timer = setInterval(() => {
  if (waitingFrames(shm, header) >= CHECKPOINT_FRAMES) checkpoint.get();
}, POLL_INTERVAL_MS);

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  closeSync(shm);
  db.close();
  port.close();
});
