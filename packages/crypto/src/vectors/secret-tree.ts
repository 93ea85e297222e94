import type { CiphersuiteImpl } from 'ts-mls';
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js';

export async function senderDataKeys(cs: CiphersuiteImpl, senderDataSecret: Uint8Array, ciphertext: Uint8Array) {
  return {
    key: await expandSenderDataKey(cs, senderDataSecret, ciphertext),
    nonce: await expandSenderDataNonce(cs, senderDataSecret, ciphertext),
  };
}

export interface RatchetKeys {
  handshakeKey: Uint8Array;
  handshakeNonce: Uint8Array;
  applicationKey: Uint8Array;
  applicationNonce: Uint8Array;
}

/**
 * RFC 9420 §9: a secret tree over `leafCount` leaves; `keysAt(leaf, generation)` ratchets that
 * leaf's handshake and application chains forward to the generation and derives key and nonce.
 */
export async function secretTreeOf(cs: CiphersuiteImpl, leafCount: number, encryptionSecret: Uint8Array) {
  const tree = await createSecretTree(leafCount, encryptionSecret, cs.kdf);
  // No retention or step limits: vectors ask for arbitrary generations of a fresh chain.
  const config = { retainKeysForGenerations: 0, retainKeysForEpochs: 0, maximumForwardRatchetSteps: Number.MAX_SAFE_INTEGER };
  return {
    async keysAt(leaf: number, generation: number): Promise<RatchetKeys> {
      const node = tree[leafToNodeIndex(toLeafIndex(leaf))];
      if (node === undefined) throw new RangeError('leaf outside the secret tree');
      const [handshake] = await ratchetUntil(node.handshake, generation, config, cs.kdf);
      const [application] = await ratchetUntil(node.application, generation, config, cs.kdf);
      return {
        handshakeKey: await deriveKey(handshake.secret, generation, cs),
        handshakeNonce: await deriveNonce(handshake.secret, generation, cs),
        applicationKey: await deriveKey(application.secret, generation, cs),
        applicationNonce: await deriveNonce(application.secret, generation, cs),
      };
    },
  };
}
