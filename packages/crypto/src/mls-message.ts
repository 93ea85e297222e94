import {
  createApplicationMessage,
  decodeMlsMessage,
  emptyPskIndex,
  encodeMlsMessage,
  processMessage as processTsMlsMessage,
  type MLSMessage,
  type PaddingConfig,
  type PrivateMessage,
  type ProposalWithSender,
} from 'ts-mls';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { bytesEqual, type MlsIdentity } from '@charla/protocol';
import { CryptoError, CryptoErrorCodes, WrongEpochError } from './errors.ts';
import { mapMlsError } from './mls-errors.ts';
import type { AuthRecord, IdentityVerifier } from './mls-identity.ts';
import { identityOfLeaf, leafIdentities, peek, workingCopy, wrapState, zeroAll, type GroupState } from './mls-state.ts';
import { cipherSuite } from './mls-suite.ts';

export type Processed =
  | { kind: 'application'; plaintext: Uint8Array; sender: MlsIdentity; newState: GroupState }
  | { kind: 'commit'; newState: GroupState; added: MlsIdentity[]; removed: MlsIdentity[]; removedSelf: boolean };

/**
 * Upper bound of what MLS adds around application data inside the encrypted content: the data's
 * length prefix (≤ 4 bytes) and the Ed25519 signature with its prefix (65 bytes).
 */
const CONTENT_OVERHEAD = 69;
const MIN_PADDED = 256;

/**
 * Padmé (Nikitin et al., PETS 2019): rounds a length up so that at most O(log log L) bits of it
 * leak, at ≤ 12 % overhead, instead of the exact size of every message.
 */
export function paddedLength(length: number): number {
  if (length <= MIN_PADDED) return MIN_PADDED;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const mask = 2 ** (e - s) - 1;
  return Math.ceil(length / (mask + 1)) * (mask + 1);
}

/** A PrivateMessage for the current epoch. The sender cannot decrypt its own message later (MLS ratchets forward). */
export async function encryptMessage(state: GroupState, plaintext: Uint8Array): Promise<{ message: Uint8Array; newState: GroupState }> {
  const padding: PaddingConfig = { kind: 'padUntilLength', padUntilLength: paddedLength(plaintext.length + CONTENT_OVERHEAD) };
  const working = workingCopy(state, { padding });
  try {
    const result = await createApplicationMessage(working, plaintext, await cipherSuite());
    zeroAll(result.consumed);
    const message = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: result.privateMessage });
    return { message, newState: wrapState(result.newState) };
  } catch (error) {
    throw mapMlsError(error, undefined, 'could not encrypt message');
  }
}

/**
 * Decrypts an application message or applies a commit. Standalone proposals are refused: Charla
 * puts every change into the commit itself, so a proposal on the wire is not from a Charla client.
 */
export async function processMessage(state: GroupState, message: Uint8Array, verify: IdentityVerifier): Promise<Processed> {
  const decoded = decodeHandshakeOrApplication(message);
  const current = peek(state).groupContext;
  const header = decoded.wireformat === 'mls_private_message' ? decoded.privateMessage : decoded.publicMessage.content;
  if (!bytesEqual(header.groupId, current.groupId)) throw new CryptoError('message is for another group', { code: CryptoErrorCodes.invalidMessage });
  if (decoded.wireformat === 'mls_private_message' && decoded.privateMessage.contentType === 'application') {
    return processApplication(state, decoded.privateMessage);
  }
  const contentType = decoded.wireformat === 'mls_private_message' ? decoded.privateMessage.contentType : decoded.publicMessage.content.contentType;
  if (contentType !== 'commit') throw new CryptoError('unsupported message content', { code: CryptoErrorCodes.unsupportedMessage });
  if (header.epoch !== current.epoch) throw new WrongEpochError(Number(header.epoch), Number(current.epoch));
  return processCommit(state, decoded, verify);
}

async function processApplication(state: GroupState, pm: PrivateMessage): Promise<Processed> {
  const working = workingCopy(state);
  const stateEpoch = working.groupContext.epoch;
  // Late messages of a recent epoch still decrypt from the retained receiver data (ts-mls keeps
  // a few epochs); anything older, newer, or from before we joined is a WrongEpochError.
  const historical = pm.epoch < stateEpoch ? working.historicalReceiverData.get(pm.epoch) : undefined;
  if (pm.epoch > stateEpoch || (pm.epoch < stateEpoch && historical === undefined)) throw new WrongEpochError(Number(pm.epoch), Number(stateEpoch));
  const receiver = historical ?? {
    senderDataSecret: working.keySchedule.senderDataSecret,
    secretTree: working.secretTree,
    ratchetTree: working.ratchetTree,
    groupContext: working.groupContext,
  };
  let result: Awaited<ReturnType<typeof unprotectPrivateMessage>>;
  try {
    result = await unprotectPrivateMessage(receiver.senderDataSecret, pm, receiver.secretTree, receiver.ratchetTree, receiver.groupContext, working.clientConfig.keyRetentionConfig, await cipherSuite());
  } catch (error) {
    throw mapMlsError(error, undefined, 'could not decrypt message');
  }
  const content = result.content.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
    throw new CryptoError('malformed application message', { code: CryptoErrorCodes.invalidMessage });
  }
  const senderNode = receiver.ratchetTree[content.sender.leafIndex * 2];
  if (senderNode?.nodeType !== 'leaf') throw new CryptoError('message from an empty leaf', { code: CryptoErrorCodes.invalidMessage });
  const sender = identityOfLeaf(senderNode.leaf);
  zeroAll(result.consumed);
  const newState =
    historical === undefined
      ? { ...working, secretTree: result.tree }
      : { ...working, historicalReceiverData: new Map(working.historicalReceiverData).set(pm.epoch, { ...historical, secretTree: result.tree }) };
  return { kind: 'application', plaintext: content.applicationData, sender, newState: wrapState(newState) };
}

async function processCommit(state: GroupState, message: HandshakeOrApplication, verify: IdentityVerifier): Promise<Processed> {
  const record: AuthRecord = { refused: undefined };
  const working = workingCopy(state, { verify, record });
  const before = leafIdentities(working.ratchetTree);
  let proposals: ProposalWithSender[] = [];
  let result: Awaited<ReturnType<typeof processTsMlsMessage>>;
  try {
    result = await processTsMlsMessage(
      message,
      working,
      emptyPskIndex,
      (incoming) => {
        if (incoming.kind !== 'commit') return 'reject';
        proposals = incoming.proposals;
        return 'accept';
      },
      await cipherSuite(),
    );
  } catch (error) {
    throw mapMlsError(error, record, 'could not process commit');
  }
  zeroAll(result.consumed);
  if (result.kind !== 'newState') throw new CryptoError('commit produced no new state', { code: CryptoErrorCodes.invalidMessage });
  const added: MlsIdentity[] = [];
  const removed: MlsIdentity[] = [];
  for (const { proposal } of proposals) {
    if (proposal.proposalType === 'add') added.push(identityOfLeaf(proposal.add.keyPackage.leafNode));
    if (proposal.proposalType === 'remove') {
      const identity = before.get(proposal.remove.removed);
      if (identity !== undefined) removed.push(identity);
    }
  }
  const removedSelf = result.newState.groupActiveState.kind === 'removedFromGroup';
  return { kind: 'commit', newState: wrapState(result.newState), added, removed, removedSelf };
}

type HandshakeOrApplication = Extract<MLSMessage, { wireformat: 'mls_private_message' | 'mls_public_message' }>;

function decodeHandshakeOrApplication(bytes: Uint8Array): HandshakeOrApplication {
  let decoded: ReturnType<typeof decodeMlsMessage>;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== bytes.length) throw new CryptoError('not an MLS message', { code: CryptoErrorCodes.invalidMessage });
  const [message] = decoded;
  if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message') {
    throw new CryptoError('not a group message', { code: CryptoErrorCodes.unsupportedMessage });
  }
  return message;
}
