import { fromBase64Url, toBase64Url } from '@charla/protocol';
import { epochZeroSecret, newEpochSecret, ratchetRoot, roomChatKey } from '@charla/crypto';
import { z } from 'zod';
import type { WorkerCommand } from './frame-worker-api.ts';

/**
 * The media and chat keys of one RoomSession (the key schedule is in @charla/crypto room-ratchet.ts).
 *
 * - Epoch 0 comes from the link secret; every participant has it.
 * - Generations: everyone ratchets the current epoch one step when someone joins, so a newcomer who
 *   is given R(e, g) cannot decrypt what was sent before it arrived (in epochs after 0; epoch 0 is
 *   derivable from the link by design).
 * - A removal: the host draws a fresh epoch secret and seals it to each remaining participant. They
 *   decrypt with it at once and switch their own sending after SWITCH_DELAY_MS, so that everyone has
 *   it by then; the previous epoch's keys stay for GRACE_MS, so nobody goes dark in between.
 */

/** A key message relayed pairwise (sealed) from the host: the current epoch and generation. */
export const KeyMessage = z.object({
  k: z.literal('key'),
  epoch: z.number().int().min(0).max(0xffff),
  generation: z.number().int().min(0).max(0xffff),
  /** R(epoch, generation), base64url; absent for epoch 0 (derived from the link). */
  root: z.string().length(43).optional(),
  /** The epoch's chat key, base64url; absent for epoch 0. */
  chat: z.string().length(43).optional(),
});
export type KeyMessage = z.infer<typeof KeyMessage>;

/** Between having a new epoch delivered (or receiving it) and sending with it: time for every other participant to install it. */
export const SWITCH_DELAY_MS = 1000;
export const GRACE_MS = 8000;

/** `root` is R(e, base); `latest` caches the highest R(e, g) computed, so long calls ratchet one step at a time. */
type EpochState = { base: number; root: Uint8Array; chatKey: Uint8Array; latest: { generation: number; root: Uint8Array } };
type Timers = { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };

export class RoomKeyring {
  readonly #post: (cmd: WorkerCommand) => void;
  readonly #timers: Timers;
  readonly #epochs = new Map<number, EpochState>();
  readonly #pending = new Set<unknown>();
  #participantId = '';
  /** What this participant encrypts with. */
  #epoch = 0;
  #generation = 0;

  /**
   * `linkSecret` keys epoch 0. `post` delivers commands to the frame worker (in Node tests, a
   * recorder).
   */
  constructor(linkSecret: Uint8Array, post: (cmd: WorkerCommand) => void, timers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) }) {
    this.#post = post;
    this.#timers = timers;
    const e0 = epochZeroSecret(linkSecret);
    this.#install(0, 0, e0, roomChatKey(e0));
  }

  get epoch(): number {
    return this.#epoch;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Starts (or, after a reconnection, keeps) sending as `participantId`. */
  sendAs(participantId: string): void {
    this.#participantId = participantId;
    this.#announceSend();
  }

  /** Someone joined: ratchet the current epoch one generation forward. */
  advance(): void {
    if (this.#generation >= 0xffff) return;
    this.#generation++;
    this.#announceSend();
  }

  /** The key message for a newcomer (host only): R(e, g) and the chat key, or just g in epoch 0. */
  keyMessage(): KeyMessage {
    if (this.#epoch === 0) return { k: 'key', epoch: 0, generation: this.#generation };
    const state = this.#epochs.get(this.#epoch)!;
    const root = this.#rootAt(state, this.#generation);
    return { k: 'key', epoch: this.#epoch, generation: this.#generation, root: toBase64Url(root), chat: toBase64Url(state.chatKey) };
  }

  /**
   * The host's rotation after a removal: a fresh epoch, installed here for receiving; returns the
   * message to seal to each remaining participant. Call `switchAfterDelivery()` once they are sent.
   */
  rotate(): KeyMessage {
    const epoch = Math.max(...this.#epochs.keys(), this.#epoch) + 1;
    if (epoch > 0xffff) throw new RangeError('too many key rotations in one room');
    const secret = newEpochSecret();
    this.#install(epoch, 0, secret, roomChatKey(secret));
    this.#nextEpoch = epoch;
    return { k: 'key', epoch, generation: 0, root: toBase64Url(secret), chat: toBase64Url(roomChatKey(secret)) };
  }

  #nextEpoch: number | undefined;

  /**
   * The host has delivered a rotation (the server acknowledged every relay): send with it after
   * SWITCH_DELAY_MS, like everyone else, so that a receiver still opening its relay drops nothing.
   */
  switchAfterDelivery(): void {
    const epoch = this.#nextEpoch;
    if (epoch === undefined) return;
    this.#nextEpoch = undefined;
    const handle = this.#timers.set(() => {
      this.#pending.delete(handle);
      if (epoch > this.#epoch) this.#switchTo(epoch, this.#epochs.get(epoch)?.base ?? 0);
    }, SWITCH_DELAY_MS);
    this.#pending.add(handle);
  }

  /** A key message from the host (already authenticated by the pairwise seal). */
  accept(message: KeyMessage): void {
    const { epoch, generation } = message;
    if (epoch === 0) {
      // Only tells a newcomer which generation the room is at.
      if (this.#epoch === 0 && generation > this.#generation) {
        this.#generation = generation;
        this.#announceSend();
      }
      return;
    }
    if (!message.root || !message.chat) return;
    const known = this.#epochs.get(epoch);
    if (!known || known.base > generation) this.#install(epoch, generation, fromBase64Url(message.root), fromBase64Url(message.chat));
    if (epoch < this.#epoch || (epoch === this.#epoch && generation <= this.#generation)) return;
    if (epoch === this.#epoch) {
      this.#generation = generation;
      this.#announceSend();
      return;
    }
    // A rotation: receive with it now, send with it once everyone else has had time to get it too.
    const handle = this.#timers.set(() => {
      this.#pending.delete(handle);
      if (epoch > this.#epoch) this.#switchTo(epoch, generation);
    }, SWITCH_DELAY_MS);
    this.#pending.add(handle);
  }

  /** The chat key to seal with now. */
  chatKey(): { epoch: number; key: Uint8Array } {
    return { epoch: this.#epoch, key: this.#epochs.get(this.#epoch)!.chatKey };
  }

  /** The chat key of an epoch still held, to open a message. */
  chatKeyOf(epoch: number): Uint8Array | undefined {
    return this.#epochs.get(epoch)?.chatKey;
  }

  dispose(): void {
    for (const handle of this.#pending) this.#timers.clear(handle);
    this.#pending.clear();
  }

  /** R(e, generation), ratcheting forward from the latest one computed (never backwards). */
  #rootAt(state: EpochState, generation: number): Uint8Array {
    if (generation < state.latest.generation) {
      let root = state.root;
      for (let g = state.base; g < generation; g++) root = ratchetRoot(root);
      return root;
    }
    while (state.latest.generation < generation) state.latest = { generation: state.latest.generation + 1, root: ratchetRoot(state.latest.root) };
    return state.latest.root;
  }

  #install(epoch: number, base: number, root: Uint8Array, chatKey: Uint8Array): void {
    this.#epochs.set(epoch, { base, root, chatKey, latest: { generation: base, root } });
    this.#post({ t: 'epoch', epoch, generation: base, root });
  }

  #switchTo(epoch: number, generation: number): void {
    const previous = [...this.#epochs.keys()].filter((e) => e < epoch);
    this.#epoch = epoch;
    this.#generation = generation;
    this.#announceSend();
    const handle = this.#timers.set(() => {
      this.#pending.delete(handle);
      for (const e of previous) {
        this.#epochs.delete(e);
        this.#post({ t: 'forget', epoch: e });
      }
    }, GRACE_MS);
    this.#pending.add(handle);
  }

  #announceSend(): void {
    if (this.#participantId) this.#post({ t: 'send', participantId: this.#participantId, epoch: this.#epoch, generation: this.#generation });
  }
}
