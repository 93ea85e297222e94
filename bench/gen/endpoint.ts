import { messageId } from '@charla/protocol';
import { randomBytes } from 'node:crypto';
import type { CharlaConn } from './charla-conn.ts';
import type { RelayConn } from './relay-conn.ts';

/**
 * The payload every message carries, inside what would be MLS ciphertext (the server never looks):
 *   f64 LE  send time (ms, generator clock: performance.timeOrigin + performance.now())
 *   u32 LE  sender endpoint index
 *   filler up to the measured ciphertext size
 */
export const TIME_OFFSET = 0;
export const SENDER_OFFSET = 8;

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One device in a traffic scenario: it receives, and may send to its group. */
export interface Endpoint {
  readonly index: number;
  /** Which server node it is connected to (multi-node); 0 otherwise. */
  readonly node: number;
  /** Sends one message stamped `at`; `done` runs when the server confirmed it (Charla: ok; relay: own echo). */
  send(at: number, done: (ok: boolean) => void): void;
  close(): void;
}

export function filler(size: number): Buffer {
  return randomBytes(size);
}

export class CharlaEndpoint implements Endpoint {
  readonly index: number;
  readonly node: number;
  readonly conn: CharlaConn;
  readonly #groupId: string;
  readonly #epoch: number;
  readonly #template: Buffer;

  constructor(index: number, node: number, conn: CharlaConn, groupId: string, epoch: number, template: Buffer) {
    this.index = index;
    this.node = node;
    this.conn = conn;
    this.#groupId = groupId;
    this.#epoch = epoch;
    this.#template = template;
  }

  send(at: number, done: (ok: boolean) => void): void {
    const body = Buffer.allocUnsafe(this.#template.length);
    this.#template.copy(body);
    body.writeDoubleLE(at, TIME_OFFSET);
    body.writeUInt32LE(this.index, SENDER_OFFSET);
    // [ID-4] made like the SDK makes them (time first, then random), which the server's index expects.
    const msgId = messageId();
    this.conn.send(this.#groupId, this.#epoch, msgId, body, done);
  }

  close(): void {
    this.conn.close();
  }
}

export class RelayEndpoint implements Endpoint {
  readonly index: number;
  readonly node = 0;
  readonly conn: RelayConn;
  readonly #group: number;
  readonly #template: Buffer;
  /** The relay has no `ok`: a message is confirmed when its echo comes back (in order, one socket). */
  readonly #waiting: ((ok: boolean) => void)[] = [];

  constructor(index: number, conn: RelayConn, group: number, template: Buffer) {
    this.index = index;
    this.conn = conn;
    this.#group = group;
    this.#template = template;
  }

  send(at: number, done: (ok: boolean) => void): void {
    const frame = Buffer.allocUnsafe(4 + this.#template.length);
    frame.writeUInt32BE(this.#group, 0);
    this.#template.copy(frame, 4);
    frame.writeDoubleLE(at, 4 + TIME_OFFSET);
    frame.writeUInt32LE(this.index, 4 + SENDER_OFFSET);
    this.#waiting.push(done);
    this.conn.send(frame);
  }

  echoed(): void {
    this.#waiting.shift()?.(true);
  }

  close(): void {
    this.conn.close();
  }
}
