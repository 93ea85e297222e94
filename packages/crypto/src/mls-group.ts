import {
  createCommit,
  createGroup as createTsMlsGroup,
  decodeMlsMessage,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  type ClientState,
  type MLSMessage,
  type Proposal,
} from 'ts-mls';
import { toBase64Url } from '@charla/protocol';
import { CryptoError, CryptoErrorCodes, UntrustedIdentityError } from './errors.ts';
import { mapMlsError } from './mls-errors.ts';
import { identityTrusted, parseIdentity, type AuthRecord, type DeviceCredential, type IdentityVerifier } from './mls-identity.ts';
import { decodeKeyPackage, decodePrivateBundle, keyPackageRef, makeKeyPackage } from './mls-key-package.ts';
import { clientConfig, leafIdentities, workingCopy, wrapState, zeroAll, type GroupState } from './mls-state.ts';
import { CIPHERSUITE_NAME, cipherSuite } from './mls-suite.ts';

export interface CommitOutput {
  /** MLSMessage bytes (a PrivateMessage, see commitChanges). */
  commit: Uint8Array;
  /** MLSMessage (Welcome) bytes when devices were added; its GroupInfo carries the ratchet tree. */
  welcome: Uint8Array | null;
  /** The state to adopt once the server accepted `commit`; until then the input state stays valid. */
  newState: GroupState;
}

/** A new group at epoch 0 with the creating device as its only member. */
export async function createGroup(groupId: Uint8Array, device: DeviceCredential): Promise<GroupState> {
  if (groupId.length === 0) throw new CryptoError('group id must not be empty');
  const { publicPackage, privatePackage } = await makeKeyPackage(device);
  const state = await createTsMlsGroup(groupId, publicPackage, privatePackage, [], await cipherSuite(), clientConfig());
  return wrapState(state);
}

/**
 * Adds key packages and removes devices in one commit; an empty `changes` makes a pure
 * update-path commit (key rotation, post-compromise security).
 *
 * Commits are sent as PrivateMessage: the header still shows group id, epoch and content type,
 * which is all the server needs to order handshakes by epoch, while who committed
 * and which devices were added or removed stay hidden from it. (PublicMessage would let the
 * server verify membership changes, but Charla's server is deliberately a dumb post office.)
 */
export async function commitChanges(
  state: GroupState,
  changes: { add?: Uint8Array[]; remove?: string[] },
  verify: IdentityVerifier,
): Promise<CommitOutput> {
  const record: AuthRecord = { refused: undefined };
  const working = workingCopy(state, { verify, record });
  const proposals: Proposal[] = [];
  for (const bytes of changes.add ?? []) {
    const keyPackage = decodeKeyPackage(bytes);
    if (keyPackage === undefined) throw new CryptoError('not a key package', { code: CryptoErrorCodes.invalidMessage });
    if (keyPackage.cipherSuite !== working.groupContext.cipherSuite) throw new CryptoError('key package has another ciphersuite', { code: CryptoErrorCodes.invalidMessage });
    const { credential, signaturePublicKey } = keyPackage.leafNode;
    // Checked here too (ts-mls checks again) so the caller learns which user was refused.
    if ((await identityTrusted(credential, signaturePublicKey, verify)) === undefined) {
      throw new UntrustedIdentityError(parseIdentity(credential)?.user);
    }
    proposals.push({ proposalType: 'add', add: { keyPackage } });
  }
  proposals.push(...removals(working, changes.remove ?? []));
  let result: Awaited<ReturnType<typeof createCommit>>;
  try {
    result = await createCommit({ state: working, cipherSuite: await cipherSuite() }, { extraProposals: proposals, ratchetTreeExtension: true });
  } catch (error) {
    throw mapMlsError(error, record, 'could not create commit');
  }
  zeroAll(result.consumed);
  return {
    commit: encodeMlsMessage(result.commit),
    welcome: result.welcome === undefined ? null : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }),
    newState: wrapState(result.newState),
  };
}

function removals(working: ClientState, deviceIds: readonly string[]): Proposal[] {
  const members = leafIdentities(working.ratchetTree);
  const proposals: Proposal[] = [];
  for (const deviceId of new Set(deviceIds)) {
    const leaves = [...members].filter(([, identity]) => identity.device === deviceId).map(([leaf]) => leaf);
    if (leaves.length === 0) throw new CryptoError('device is not a member of the group', { code: CryptoErrorCodes.notMember });
    for (const leaf of leaves) {
      // RFC 9420 forbids a commit that removes its committer; leaving takes another member's commit.
      if (leaf === working.privatePath.leafIndex) throw new CryptoError('a device cannot remove itself by commit');
      proposals.push({ proposalType: 'remove', remove: { removed: leaf } });
    }
  }
  return proposals;
}

/**
 * Joins from a Welcome. `findKeyPackage` maps a KeyPackageRef (base64url) to the privateBytes of
 * one of our key packages; the ref that matched is returned so the caller can delete a one-time package.
 */
export async function joinFromWelcome(
  welcome: Uint8Array,
  findKeyPackage: (ref: string) => Uint8Array | undefined,
  verify: IdentityVerifier,
): Promise<{ state: GroupState; keyPackageRef: string }> {
  const message = decodeWelcome(welcome);
  let match: { ref: string; privateBytes: Uint8Array } | undefined;
  for (const secret of message.welcome.secrets) {
    const ref = toBase64Url(secret.newMember);
    const privateBytes = findKeyPackage(ref);
    if (privateBytes !== undefined) {
      match = { ref, privateBytes };
      break;
    }
  }
  if (match === undefined) throw new CryptoError('the welcome is not for any of our key packages', { code: CryptoErrorCodes.noMatchingKeyPackage });
  const { publicPackage, privatePackage } = decodePrivateBundle(match.privateBytes);
  if (keyPackageRef(publicPackage) !== match.ref) throw new CryptoError('stored key package does not match its ref', { code: CryptoErrorCodes.noMatchingKeyPackage });
  const record: AuthRecord = { refused: undefined };
  try {
    const state = await joinGroup(message.welcome, publicPackage, privatePackage, emptyPskIndex, await cipherSuite(), undefined, undefined, clientConfig({ verify, record }));
    return { state: wrapState(state), keyPackageRef: match.ref };
  } catch (error) {
    throw mapMlsError(error, record, 'could not join from welcome');
  }
}

function decodeWelcome(bytes: Uint8Array): Extract<MLSMessage, { wireformat: 'mls_welcome' }> {
  let decoded: ReturnType<typeof decodeMlsMessage>;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== bytes.length || decoded[0].wireformat !== 'mls_welcome') {
    throw new CryptoError('not a welcome message', { code: CryptoErrorCodes.invalidMessage });
  }
  if (decoded[0].welcome.cipherSuite !== CIPHERSUITE_NAME) throw new CryptoError('welcome has another ciphersuite', { code: CryptoErrorCodes.invalidMessage });
  return decoded[0];
}
