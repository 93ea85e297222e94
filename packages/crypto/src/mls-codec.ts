/**
 * Synchronous RFC 9420 helpers over ts-mls's TLS codecs, for code paths that must stay synchronous
 * (parseKeyPackage runs on the server for every upload) and for our own persisted formats.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { composeBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { decodeVarLenData, varLenDataEncoder } from 'ts-mls/codec/variableLength.js';
import { utf8 } from './bytes.ts';

const twoVarLen = encode(composeBufferEncoders([varLenDataEncoder, varLenDataEncoder]));

/** RFC 9420 §5.2 RefHash with SHA-256 (the hash of Charla's ciphersuite). */
export function refHashSha256(label: string, value: Uint8Array): Uint8Array {
  return sha256(twoVarLen([utf8(label), value]));
}

/** RFC 9420 §5.1.2 VerifyWithLabel for Ed25519, synchronously. */
export function verifyWithLabelEd25519(publicKey: Uint8Array, label: string, content: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, twoVarLen([utf8(`MLS 1.0 ${label}`), content]), publicKey);
  } catch {
    return false;
  }
}

/** A versioned list of byte fields: version byte, then each field as an MLS variable-length vector. */
export function encodeFields(version: number, fields: readonly Uint8Array[]): Uint8Array {
  const body = fields.map((f) => encode(varLenDataEncoder)(f));
  let total = 1;
  for (const b of body) total += b.length;
  const out = new Uint8Array(total);
  out[0] = version;
  let offset = 1;
  for (const b of body) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}

/** Inverse of encodeFields; undefined when the version, field count or framing does not match exactly. */
export function decodeFields(bytes: Uint8Array, version: number, count: number): Uint8Array[] | undefined {
  if (bytes[0] !== version) return undefined;
  const fields: Uint8Array[] = [];
  let offset = 1;
  try {
    for (let i = 0; i < count; i++) {
      const decoded = decodeVarLenData(bytes, offset);
      if (decoded === undefined) return undefined;
      fields.push(decoded[0]);
      offset += decoded[1]; // ts-mls decoders return the bytes consumed, not the new offset
    }
  } catch {
    return undefined;
  }
  return offset === bytes.length ? fields : undefined;
}
