import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.ts';
import { MemoryStore, type LocalStore } from '../store.ts';

for (const [name, make] of [
  ['MemoryStore', () => ({ store: new MemoryStore() as LocalStore, done: () => undefined })],
  [
    'SqliteStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'charla-store-'));
      const path = join(dir, 'p', 'charla.db');
      const store = new SqliteStore(path);
      return { store: store as LocalStore, path, done: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
] as const) {
  test(`${name}: values with bytes round-trip, lists are prefix-filtered and key-ordered`, async () => {
    const { store, done } = make();
    try {
      const bytes = new Uint8Array([0, 1, 254, 255]);
      await store.write([
        { ns: 'a', key: 'x|2', value: { n: 2, bytes, nested: { more: [bytes] } } },
        { ns: 'a', key: 'x|1', value: { n: 1 } },
        { ns: 'a', key: 'y|1', value: { n: 3 } },
        { ns: 'b', key: 'x|0', value: 'other namespace' },
      ]);
      const got = await store.get<{ n: number; bytes: Uint8Array; nested: { more: Uint8Array[] } }>('a', 'x|2');
      assert.deepEqual(got?.bytes, bytes);
      assert.ok(got?.bytes instanceof Uint8Array);
      assert.deepEqual(got?.nested.more[0], bytes);
      assert.deepEqual((await store.list<{ n: number }>('a', 'x|')).map((r) => r.value.n), [1, 2]);
      await store.write([{ ns: 'a', key: 'x|1', value: undefined }]);
      assert.equal(await store.get('a', 'x|1'), undefined);
      assert.deepEqual((await store.list('a')).map((r) => r.key), ['x|2', 'y|1']);
    } finally {
      await store.close();
      done();
    }
  });
}

test('SqliteStore: a failed batch writes nothing, data survives reopening, the file is private', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-store-'));
  const path = join(dir, 'charla.db');
  try {
    const store = new SqliteStore(path);
    await store.write([{ ns: 'a', key: 'k', value: 1 }]);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await assert.rejects(store.write([{ ns: 'a', key: 'k', value: 2 }, { ns: 'a', key: 'bad', value: cyclic }]));
    assert.equal(await store.get('a', 'k'), 1);
    await store.close();
    const again = new SqliteStore(path);
    assert.equal(await again.get('a', 'k'), 1);
    await again.close();
    assert.equal(statSync(path).mode & 0o077, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
