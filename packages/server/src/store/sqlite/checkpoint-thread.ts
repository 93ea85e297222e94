import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file (a PASSIVE checkpoint: it never waits for, nor
 * blocks, readers and writers) every CHECKPOINT_INTERVAL_MS, on a thread of its own. SQLite would
 * otherwise run it inside a COMMIT on the event loop each time the WAL passed 1,000 pages, with two
 * fsyncs and a few MB of copying: a stall of the whole server each time (checkpointer.ts).
 */
const CHECKPOINT_INTERVAL_MS = 100;

const port = parentPort;
if (port === null) throw new Error('checkpoint-thread.ts runs as a worker thread');
const db = new DatabaseSync((workerData as { path: string }).path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => checkpoint.get(), CHECKPOINT_INTERVAL_MS);

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
