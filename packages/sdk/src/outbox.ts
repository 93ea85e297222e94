import type { Content } from '@charla/protocol';
import { encryptMessage } from '@charla/crypto';
import type { Conversations } from './conversations.ts';
import { ApiError, isApiError, NetworkError } from './errors.ts';
import { loadGroup, putGroup, stateOf, waitForEpoch, withState, type GroupContext } from './groups.ts';
import { NS } from './profile.ts';

/** A message waiting to reach the server. Kept until the server confirmed it, across restarts. */
export interface OutboxEntry {
  key: string;
  type: 'content' | 'redact';
  msgId: string;
  conversationId: string;
  /** Set for content bound to one group (conversation metadata after a commit). */
  groupId?: string;
  content?: Content;
  /** For redact: the message to delete on the server. */
  target?: string;
  expiresAt?: number;
  /** The exact bytes sent, reused on every retry so that the server's idempotency check holds ([SEND-3]). */
  ciphertext?: Uint8Array;
  sentGroupId?: string;
  epoch?: number;
}

export function outboxKey(now: number, msgId: string): string {
  return `${String(now).padStart(15, '0')}|${msgId}`;
}

/**
 * Sends what is in the outbox, in order, once each. Called when the connection is (re)established
 * after the backlog was applied, and after each new message. A message is re-encrypted only when
 * the server said its epoch is stale; otherwise the same ciphertext is resent with the same id.
 */
export class Outbox {
  readonly #ctx: GroupContext;
  readonly #conversations: Conversations;
  readonly #onSent: (entry: OutboxEntry, seq: number) => Promise<void>;
  readonly #onFailed: (entry: OutboxEntry, error: ApiError) => Promise<void>;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    ctx: GroupContext,
    conversations: Conversations,
    onSent: (entry: OutboxEntry, seq: number) => Promise<void>,
    onFailed: (entry: OutboxEntry, error: ApiError) => Promise<void>,
  ) {
    this.#ctx = ctx;
    this.#conversations = conversations;
    this.#onSent = onSent;
    this.#onFailed = onFailed;
  }

  async add(entry: OutboxEntry): Promise<void> {
    await this.#ctx.store.write([{ ns: NS.outbox, key: entry.key, value: entry }]);
  }

  async pending(): Promise<OutboxEntry[]> {
    return (await this.#ctx.store.list<OutboxEntry>(NS.outbox)).map((r) => r.value);
  }

  /** Sends everything pending; resolves when the outbox is empty or the connection is gone. */
  flush(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#drain();
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #drain(): Promise<void> {
    for (const entry of await this.pending()) {
      for (let attempt = 0; ; attempt++) {
        try {
          const seq = await this.#sendOne(entry);
          await this.#ctx.store.write([{ ns: NS.outbox, key: entry.key, value: undefined }]);
          await this.#onSent(entry, seq);
          break;
        } catch (error) {
          if (error instanceof NetworkError) return; // resumes on reconnect
          if (isApiError(error, 'EPOCH_CONFLICT') && attempt < 5) {
            // Let the commit that moved the group on arrive and be applied, then re-encrypt.
            delete entry.ciphertext;
            await waitForEpoch(this.#ctx, entry.sentGroupId ?? '', error.epoch);
            continue;
          }
          if (isApiError(error, 'RATE_LIMITED') && attempt < 5) {
            await new Promise((r) => setTimeout(r, error.retryAfterMs ?? 500));
            continue;
          }
          await this.#ctx.store.write([{ ns: NS.outbox, key: entry.key, value: undefined }]);
          await this.#onFailed(entry, error instanceof ApiError ? error : new ApiError('INTERNAL', String(error), 500));
          break;
        }
      }
    }
  }

  async #sendOne(entry: OutboxEntry): Promise<number> {
    const groupId = entry.groupId ?? (await this.#groupFor(entry.conversationId));
    if (entry.type === 'redact') {
      const ok = await this.#ctx.connection().request({ t: 'redact', groupId, msgId: entry.target ?? '' });
      return typeof ok['seq'] === 'number' ? ok['seq'] : 0;
    }
    const prepared = await this.#ctx.queue.run(async () => {
      const record = await loadGroup(this.#ctx.store, groupId);
      if (!record?.active) throw new ApiError('NOT_A_MEMBER', 'no longer a member of this chat', 403);
      if (entry.ciphertext && entry.sentGroupId === groupId && entry.epoch === record.epoch) return entry;
      const plaintext = new TextEncoder().encode(JSON.stringify(entry.content));
      const { message, newState } = await encryptMessage(stateOf(record), plaintext);
      const updated: OutboxEntry = { ...entry, ciphertext: message, sentGroupId: groupId, epoch: record.epoch };
      // The ratchet moved on: persist the state and the exact ciphertext together.
      await this.#ctx.store.write([putGroup(withState(record, newState)), { ns: NS.outbox, key: entry.key, value: updated }]);
      return updated;
    });
    Object.assign(entry, prepared);
    const ok = await this.#ctx.connection().request(
      {
        t: 'send',
        groupId,
        epoch: prepared.epoch ?? 0,
        msgId: entry.msgId,
        ...(entry.expiresAt !== undefined ? { expiresAt: entry.expiresAt } : {}),
      },
      prepared.ciphertext,
    );
    return typeof ok['seq'] === 'number' ? ok['seq'] : 0;
  }

  async #groupFor(conversationId: string): Promise<string> {
    const conv = await this.#conversations.get(conversationId);
    for (const groupId of conv?.groupIds ?? []) {
      const record = await loadGroup(this.#ctx.store, groupId);
      if (record?.active) return groupId;
    }
    throw new ApiError('NOT_A_MEMBER', 'no active group for this chat', 403);
  }
}
