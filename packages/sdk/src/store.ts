/**
 * The device's local store: namespaced key/value records. Values are JSON-like data and may contain
 * Uint8Array. Implementations: MemoryStore (here), SqliteStore (`@charla/sdk/node`), IndexedDB (web).
 * Keys within a namespace list in lexicographic order, which the SDK uses for ordering (messages).
 */
export type StoreValue = unknown;

export interface StoreWrite {
  ns: string;
  key: string;
  /** undefined deletes the record. */
  value: StoreValue | undefined;
}

export interface LocalStore {
  get<T>(ns: string, key: string): Promise<T | undefined>;
  /** Records whose key starts with prefix, in key order. */
  list<T>(ns: string, prefix?: string): Promise<Array<{ key: string; value: T }>>;
  /** Applies all writes atomically. */
  write(writes: readonly StoreWrite[]): Promise<void>;
  close(): Promise<void>;
}

export async function put(store: LocalStore, ns: string, key: string, value: StoreValue): Promise<void> {
  await store.write([{ ns, key, value }]);
}

export async function del(store: LocalStore, ns: string, key: string): Promise<void> {
  await store.write([{ ns, key, value: undefined }]);
}

export class MemoryStore implements LocalStore {
  readonly #data = new Map<string, Map<string, StoreValue>>();

  async get<T>(ns: string, key: string): Promise<T | undefined> {
    const value = this.#data.get(ns)?.get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }

  async list<T>(ns: string, prefix = ''): Promise<Array<{ key: string; value: T }>> {
    const map = this.#data.get(ns);
    if (!map) return [];
    return [...map.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, value: structuredClone(map.get(key)) as T }));
  }

  async write(writes: readonly StoreWrite[]): Promise<void> {
    for (const { ns, key, value } of writes) {
      let map = this.#data.get(ns);
      if (!map) this.#data.set(ns, (map = new Map()));
      if (value === undefined) map.delete(key);
      else map.set(key, structuredClone(value));
    }
  }

  async close(): Promise<void> {}
}
