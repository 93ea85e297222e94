import {
  decodeGroupState as decodeTsMlsState,
  encodeGroupState as encodeTsMlsState,
  mlsExporter,
  zeroOutUint8Array,
  type ClientConfig,
  type ClientState,
  type GroupState as TsMlsGroupState,
  type LeafNode,
  type PaddingConfig,
} from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import type { MlsIdentity } from '@charla/protocol';
import { CryptoError, CryptoErrorCodes } from './errors.ts';
import { decodeFields, encodeFields } from './mls-codec.ts';
import { authService, parseIdentity, type AuthRecord, type IdentityVerifier } from './mls-identity.ts';
import { cipherSuite } from './mls-suite.ts';

declare const opaque: unique symbol;
/**
 * A device's view of one MLS group at one epoch. Opaque and immutable: every operation returns a
 * new GroupState and leaves its input usable (the SDK keeps the old state when the server refuses
 * a commit). Persist with encodeGroupState.
 */
export interface GroupState {
  readonly [opaque]: 'GroupState';
}

interface Inner {
  readonly mls: TsMlsGroupState;
}

const STATE_FORMAT_VERSION = 1;
/** Padding of handshake messages; application messages get a per-message size (mls-message.ts). */
const HANDSHAKE_PADDING: PaddingConfig = { kind: 'padUntilLength', padUntilLength: 256 };

export function wrapState(mls: TsMlsGroupState): GroupState {
  // ts-mls' ClientState carries the config (with our per-call verifier); it is never persisted.
  const { clientConfig: _config, ...rest } = mls as Partial<ClientState> & TsMlsGroupState;
  return Object.freeze({ mls: rest }) as Inner as unknown as GroupState;
}

function inner(state: GroupState): TsMlsGroupState {
  const mls = (state as unknown as Partial<Inner>).mls;
  if (mls === undefined) throw new CryptoError('not a GroupState');
  return mls;
}

/**
 * A private deep copy to hand to ts-mls. ts-mls returns `consumed` secrets that still belong to
 * its input; zeroing them (as it asks) must not reach the caller's state, so we work on a copy.
 */
export function workingCopy(
  state: GroupState,
  options: { verify?: IdentityVerifier; record?: AuthRecord; padding?: PaddingConfig } = {},
): ClientState {
  return { ...structuredClone(inner(state)), clientConfig: clientConfig(options) };
}

/**
 * ts-mls config for one call. Without a verifier every credential is refused: calls that add no
 * leaves (sending, exporting) never consult it, and nothing is accepted by accident.
 */
export function clientConfig(options: { verify?: IdentityVerifier; record?: AuthRecord; padding?: PaddingConfig } = {}): ClientConfig {
  return {
    ...defaultClientConfig,
    paddingConfig: options.padding ?? HANDSHAKE_PADDING,
    authService: authService(options.verify ?? (() => false), options.record ?? { refused: undefined }),
  };
}

/** Read-only access for code in this package that does not change the state. */
export function peek(state: GroupState): TsMlsGroupState {
  return inner(state);
}

export function zeroAll(consumed: readonly Uint8Array[]): void {
  for (const secret of consumed) zeroOutUint8Array(secret);
}

export function encodeGroupState(state: GroupState): Uint8Array {
  return encodeFields(STATE_FORMAT_VERSION, [encodeTsMlsState(inner(state))]);
}

export function decodeGroupState(bytes: Uint8Array): GroupState {
  const [body] = decodeFields(bytes, STATE_FORMAT_VERSION, 1) ?? [];
  if (body === undefined) throw new CryptoError('corrupt group state');
  let decoded: ReturnType<typeof decodeTsMlsState>;
  try {
    decoded = decodeTsMlsState(body, 0);
  } catch (cause) {
    throw new CryptoError('corrupt group state', { cause });
  }
  if (decoded === undefined || decoded[1] !== body.length) throw new CryptoError('corrupt group state');
  return wrapState(decoded[0]);
}

export function groupId(state: GroupState): Uint8Array {
  return inner(state).groupContext.groupId.slice();
}

export function groupEpoch(state: GroupState): number {
  return Number(inner(state).groupContext.epoch);
}

/** Leaf index → identity for every occupied leaf of a ratchet tree (node index = 2 × leaf index). */
export function leafIdentities(tree: TsMlsGroupState['ratchetTree']): Map<number, MlsIdentity> {
  const out = new Map<number, MlsIdentity>();
  for (let nodeIndex = 0; nodeIndex < tree.length; nodeIndex += 2) {
    const node = tree[nodeIndex];
    if (node?.nodeType !== 'leaf') continue;
    const identity = parseIdentity(node.leaf.credential);
    if (identity !== undefined) out.set(nodeIndex / 2, identity);
  }
  return out;
}

export function identityOfLeaf(leaf: LeafNode): MlsIdentity {
  const identity = parseIdentity(leaf.credential);
  if (identity === undefined) throw new CryptoError('leaf without a Charla identity', { code: CryptoErrorCodes.untrustedIdentity });
  return identity;
}

/** One entry per leaf, i.e. per device, in leaf order. */
export function groupMembers(state: GroupState): MlsIdentity[] {
  return [...leafIdentities(inner(state).ratchetTree).values()];
}

export function ownIdentity(state: GroupState): MlsIdentity {
  const mls = inner(state);
  const node = mls.ratchetTree[mls.privatePath.leafIndex * 2];
  if (node?.nodeType !== 'leaf') throw new CryptoError('own leaf missing from the tree', { code: CryptoErrorCodes.notMember });
  return identityOfLeaf(node.leaf);
}

/** RFC 9420 MLS-Exporter of the current epoch (call keys, etc.): the same for every member, new each epoch. */
export async function exportSecret(state: GroupState, label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new CryptoError('invalid exporter length');
  return mlsExporter(inner(state).keySchedule.exporterSecret, label, context, length, await cipherSuite());
}
