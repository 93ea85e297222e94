import type { LocalStore, StoreWrite } from './store.ts';

/**
 * The local store in browsers: one IndexedDB database per profile, records keyed by [ns, key] so
 * that a prefix lists in key order. Values are stored by structured clone (bytes stay bytes).
 */
export class IndexedDbStore implements LocalStore {
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static open(name = 'charla'): Promise<IndexedDbStore> {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('kv');
      };
      request.onsuccess = () => resolve(new IndexedDbStore(request.result));
      request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
    });
  }

  get<T>(ns: string, key: string): Promise<T | undefined> {
    return this.#request<T | undefined>('readonly', (s) => s.get([ns, key]));
  }

  async list<T>(ns: string, prefix = ''): Promise<Array<{ key: string; value: T }>> {
    const range = IDBKeyRange.bound([ns, prefix], [ns, prefix + '\uffff']);
    const [keys, values] = await Promise.all([
      this.#request<IDBValidKey[]>('readonly', (s) => s.getAllKeys(range)),
      this.#request<T[]>('readonly', (s) => s.getAll(range)),
    ]);
    return keys.map((k, i) => ({ key: (k as [string, string])[1], value: values[i] as T }));
  }

  write(writes: readonly StoreWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const tx = this.#db.transaction('kv', 'readwrite');
      const store = tx.objectStore('kv');
      for (const w of writes) {
        if (w.value === undefined) store.delete([w.ns, w.key]);
        else store.put(w.value, [w.ns, w.key]);
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted'));
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #request<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const request = make(this.#db.transaction('kv', mode).objectStore('kv'));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB read failed'));
    });
  }
}
