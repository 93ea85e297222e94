/**
 * [WS-2] Byte layout of a binary WebSocket frame:
 *
 *   u32 big-endian H | H bytes of UTF-8 JSON header | body bytes (the rest of the frame)
 *
 * A text frame is a JSON header with no body. Either side may send either form for a frame
 * without body; a frame with body must be binary.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError';
}

export interface RawFrame {
  header: unknown;
  body: Uint8Array | null;
}

/** Frames are cut from shared slabs, as Buffer.allocUnsafe does: one ArrayBuffer per frame cost the server more than the JSON. */
const SLAB_BYTES = 16 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;
/** Where headers are encoded before their length is known (a header is far smaller). */
const scratch = new Uint8Array(16 * 1024);

function allocate(n: number): Uint8Array {
  if (n > SLAB_BYTES / 4) return new Uint8Array(n);
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += (n + 7) & ~7;
  return out;
}

/**
 * The frame's bytes: a view that may share its ArrayBuffer with other frames (use its byteOffset
 * and byteLength, never its whole `buffer`).
 */
export function encodeFrame(header: object, body?: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const json = JSON.stringify(header);
  const h = json.length * 3 <= scratch.length ? scratch.subarray(0, encoder.encodeInto(json, scratch).written) : encoder.encode(json);
  const parts = body === undefined ? [] : body instanceof Uint8Array ? [body] : body;
  let bodyLength = 0;
  for (const p of parts) bodyLength += p.length;
  const out = allocate(4 + h.length + bodyLength);
  const n = h.length;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(h, 4);
  let offset = 4 + n;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Decodes a binary frame. Throws FrameDecodeError on a truncated frame or a header that is not JSON. */
export function decodeFrame(bytes: Uint8Array): RawFrame {
  if (bytes.length < 4) throw new FrameDecodeError('frame shorter than its length prefix');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0);
  if (headerLength > bytes.length - 4) throw new FrameDecodeError('header length exceeds frame');
  const header = parseJson(bytes.subarray(4, 4 + headerLength));
  const body = bytes.length > 4 + headerLength ? bytes.subarray(4 + headerLength) : null;
  return { header, body };
}

export function decodeTextFrame(text: string): RawFrame {
  try {
    return { header: JSON.parse(text) as unknown, body: null };
  } catch {
    throw new FrameDecodeError('header is not JSON');
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    throw new FrameDecodeError('header is not UTF-8 JSON');
  }
}
