/**
 * Internal: RFC 9420 test-vector harness over the ts-mls internals this package builds on. Not
 * part of the public API (not exported from index.ts); test/rfc9420-vectors.test.ts drives it so
 * the interop vectors exercise exactly the code paths Charla ships.
 */
import { getCiphersuiteImpl, type CiphersuiteImpl } from 'ts-mls';
import { getCiphersuiteFromId, type CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js';

const cache = new Map<number, Promise<CiphersuiteImpl | undefined>>();

/**
 * The implementation of RFC 9420 suite `id`, or undefined when ts-mls cannot provide it with
 * the installed optional dependencies (e.g. ChaCha20 or X448 need extra @hpke packages).
 */
export function vectorSuite(id: number): Promise<CiphersuiteImpl | undefined> {
  let entry = cache.get(id);
  if (entry === undefined) {
    entry = (async () => {
      try {
        return await getCiphersuiteImpl(getCiphersuiteFromId(id as CiphersuiteId));
      } catch {
        return undefined;
      }
    })();
    cache.set(id, entry);
  }
  return entry;
}
