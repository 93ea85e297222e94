import { hash } from 'node:crypto';

/**
 * [SEND-2] What a stored message's body is compared by once the body itself is gone (redacted).
 * The SQLite store hashes only then, or when a retry meets such a message: a send compares its
 * body with the stored one, which costs nothing until a msgId repeats.
 */
export function bodyHash(body: Uint8Array): Uint8Array {
  return hash('sha256', body, 'buffer');
}
