import type { LocalStore } from '@charla/sdk';

/**
 * Things that happened in a chat besides messages, shown between them: the SDK announces them as
 * events but keeps no history of them, so the app stores them in the device's own store, in a
 * namespace of its own (never sent anywhere).
 */
export type NoticeBody =
  | { kind: 'timer'; seconds: number; from: string }
  | { kind: 'keyChange'; user: string }
  | { kind: 'members'; added: string[]; removed: string[] }
  | { kind: 'removedSelf' }
  | { kind: 'created' };

export type Notice = NoticeBody & { id: string; ts: number };

const NS = 'web.notices';

export async function addNotice(store: LocalStore, conversationId: string, body: NoticeBody, now = Date.now()): Promise<void> {
  const id = `${String(now).padStart(15, '0')}-${Math.random().toString(36).slice(2, 8)}`;
  await store.write([{ ns: NS, key: `${conversationId}|${id}`, value: { ...body, id, ts: now } satisfies Notice }]);
}

export async function loadNotices(store: LocalStore, conversationId: string): Promise<Notice[]> {
  return (await store.list<Notice>(NS, `${conversationId}|`)).map((r) => r.value);
}
