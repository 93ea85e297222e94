/** Small byte helpers local to the crypto package (the shared ones live in @charla/protocol). */

/**
 * WebCrypto's typings want ArrayBuffer-backed views; a view over a SharedArrayBuffer or a
 * subarray of a larger buffer is copied so the call never sees bytes outside the view.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(bytes);
}

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
