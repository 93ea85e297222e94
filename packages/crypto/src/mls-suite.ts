import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';

/** Charla's one ciphersuite (RFC 9420 suite 1): X25519, AES-128-GCM, SHA-256, Ed25519; works in every browser. */
export const CIPHERSUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' satisfies CiphersuiteName;

let suite: Promise<CiphersuiteImpl> | undefined;

/** The implementation is built once: it is stateless (keys are passed per call). */
export function cipherSuite(): Promise<CiphersuiteImpl> {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromName(CIPHERSUITE_NAME));
  return suite;
}
