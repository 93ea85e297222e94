import type { Duplex } from 'node:stream';

const corked = new Set<Duplex>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Holds a socket's writes until the current macrotask (and its microtasks) ends, then writes them
 * with one syscall. A fan-out or a batch of `ok`s sends many frames to one socket in one turn;
 * uncorked, each frame was its own writev (the biggest cost in the group benchmark). A nextTick,
 * not setImmediate: it runs right after the code that queued the frames, so nothing waits a turn.
 */
export function corkForTurn(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(uncorkAll);
  }
}
