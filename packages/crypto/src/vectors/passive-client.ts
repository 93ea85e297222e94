import { decodeMlsMessage, joinGroup, makePskIndex, type CiphersuiteImpl, type ClientState } from 'ts-mls';
import { processPrivateMessage, processPublicMessage } from 'ts-mls/processMessages.js';
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { bytesToBase64 } from 'ts-mls/util/byteArray.js';

export interface PassiveClientInput {
  keyPackage: Uint8Array;
  signaturePriv: Uint8Array;
  encryptionPriv: Uint8Array;
  initPriv: Uint8Array;
  welcome: Uint8Array;
  ratchetTree: Uint8Array | null;
  externalPsks: { pskId: Uint8Array; psk: Uint8Array }[];
  epochs: { proposals: Uint8Array[]; commit: Uint8Array }[];
}

/**
 * RFC 9420 passive-client scenarios: join by Welcome, then follow every commit (with proposals
 * by reference). Yields the epoch authenticator after joining and after each commit.
 * Vector credentials are arbitrary test identities, so ts-mls's default (accept-all)
 * authentication service is used here instead of Charla's [DEV-4] one.
 */
export async function* passiveClient(cs: CiphersuiteImpl, input: PassiveClientInput): AsyncGenerator<Uint8Array> {
  const kp = decodeMlsMessage(input.keyPackage, 0)?.[0];
  const welcome = decodeMlsMessage(input.welcome, 0)?.[0];
  if (kp?.wireformat !== 'mls_key_package' || welcome?.wireformat !== 'mls_welcome') throw new TypeError('undecodable vector input');
  const privateKeys = { hpkePrivateKey: input.encryptionPriv, initPrivateKey: input.initPriv, signaturePrivateKey: input.signaturePriv };
  const tree = input.ratchetTree === null ? undefined : decodeRatchetTree(input.ratchetTree, 0)?.[0];
  const psks: Record<string, Uint8Array> = {};
  for (const { pskId, psk } of input.externalPsks) psks[bytesToBase64(pskId)] = psk;

  let state: ClientState = await joinGroup(welcome.welcome, kp.keyPackage, privateKeys, makePskIndex(undefined, psks), cs, tree);
  yield state.keySchedule.epochAuthenticator;
  for (const epoch of input.epochs) {
    for (const message of [...epoch.proposals, epoch.commit]) state = await apply(state, message);
    yield state.keySchedule.epochAuthenticator;
  }

  async function apply(current: ClientState, bytes: Uint8Array): Promise<ClientState> {
    const message = decodeMlsMessage(bytes, 0)?.[0];
    if (message?.wireformat === 'mls_public_message') {
      return (await processPublicMessage(current, message.publicMessage, makePskIndex(current, psks), cs)).newState;
    }
    if (message?.wireformat === 'mls_private_message') {
      return (await processPrivateMessage(current, message.privateMessage, makePskIndex(current, psks), cs)).newState;
    }
    throw new TypeError('vector epoch holds a non-framed message');
  }
}
