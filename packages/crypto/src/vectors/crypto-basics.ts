import type { CiphersuiteImpl } from 'ts-mls';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';

/** RFC 9420 §5 primitives, as used by every other layer. */
export const cryptoBasics = {
  refHash: (cs: CiphersuiteImpl, label: string, value: Uint8Array) => refhash(label, value, cs.hash),
  expandWithLabel: (cs: CiphersuiteImpl, secret: Uint8Array, label: string, context: Uint8Array, length: number) =>
    expandWithLabel(secret, label, context, length, cs.kdf),
  deriveSecret: (cs: CiphersuiteImpl, secret: Uint8Array, label: string) => deriveSecret(secret, label, cs.kdf),
  deriveTreeSecret: (cs: CiphersuiteImpl, secret: Uint8Array, label: string, generation: number, length: number) =>
    deriveTreeSecret(secret, label, generation, length, cs.kdf),
  signWithLabel: (cs: CiphersuiteImpl, priv: Uint8Array, label: string, content: Uint8Array) => signWithLabel(priv, label, content, cs.signature),
  verifyWithLabel: (cs: CiphersuiteImpl, pub: Uint8Array, label: string, content: Uint8Array, signature: Uint8Array) =>
    verifyWithLabel(pub, label, content, signature, cs.signature),
  async encryptWithLabel(cs: CiphersuiteImpl, pub: Uint8Array, label: string, context: Uint8Array, plaintext: Uint8Array) {
    const { enc, ct } = await encryptWithLabel(await cs.hpke.importPublicKey(pub), label, context, plaintext, cs.hpke);
    return { kemOutput: enc, ciphertext: ct };
  },
  async decryptWithLabel(cs: CiphersuiteImpl, priv: Uint8Array, label: string, context: Uint8Array, kemOutput: Uint8Array, ciphertext: Uint8Array) {
    return decryptWithLabel(await cs.hpke.importPrivateKey(priv), label, context, kemOutput, ciphertext, cs.hpke);
  },
};
