import { decodeMlsMessage, defaultKeyRetentionConfig, defaultPaddingConfig, encodeMlsMessage, type CiphersuiteImpl, type FramedContent, type GroupContext } from 'ts-mls';
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js';
import { getCiphersuiteNameFromId, type CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js';
import { createContentCommitSignature } from 'ts-mls/framedContent.js';
import { protect, protectApplicationData, protectProposal, unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { protectProposalPublic, protectPublicMessage, unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js';
import { decodeProposal, encodeProposal } from 'ts-mls/proposal.js';
import { createSecretTree } from 'ts-mls/secretTree.js';

export interface ProtectionInput {
  cipherSuite: number;
  groupId: Uint8Array;
  epoch: bigint;
  treeHash: Uint8Array;
  confirmedTranscriptHash: Uint8Array;
  signaturePriv: Uint8Array;
  signaturePub: Uint8Array;
  encryptionSecret: Uint8Array;
  senderDataSecret: Uint8Array;
  membershipKey: Uint8Array;
}

/** The sender in every message-protection vector. */
const SENDER = 1;
const NO_AAD = new Uint8Array();

/**
 * RFC 9420 §6: unprotects PublicMessage/PrivateMessage framing with a 2-leaf secret tree and
 * protects raw content again. Every function returns the raw content bytes it recovered.
 */
export function messageProtection(cs: CiphersuiteImpl, v: ProtectionInput) {
  const context: GroupContext = {
    version: 'mls10',
    cipherSuite: getCiphersuiteNameFromId(v.cipherSuite as CiphersuiteId),
    groupId: v.groupId,
    epoch: v.epoch,
    treeHash: v.treeHash,
    confirmedTranscriptHash: v.confirmedTranscriptHash,
    extensions: [],
  };
  const freshTree = () => createSecretTree(2, v.encryptionSecret, cs.kdf);

  const rawOf = (content: FramedContent): Uint8Array => {
    if (content.contentType === 'proposal') return encodeProposal(content.proposal);
    if (content.contentType === 'commit') return encodeCommit(content.commit);
    return content.applicationData;
  };

  async function unprotect(message: Uint8Array): Promise<Uint8Array> {
    const decoded = decodeMlsMessage(message, 0)?.[0];
    if (decoded?.wireformat === 'mls_public_message') {
      const content = await unprotectPublicMessage(v.membershipKey, context, [], decoded.publicMessage, cs, v.signaturePub);
      return rawOf(content.content);
    }
    if (decoded?.wireformat === 'mls_private_message') {
      const result = await unprotectPrivateMessage(v.senderDataSecret, decoded.privateMessage, await freshTree(), [], context, defaultKeyRetentionConfig, cs, v.signaturePub);
      return rawOf(result.content.content);
    }
    throw new TypeError('not a framed message');
  }

  const pub = (publicMessage: Parameters<typeof encodeMlsMessage>[0] & { wireformat: 'mls_public_message' }) => encodeMlsMessage(publicMessage);

  return {
    unprotect,
    async protectProposal(raw: Uint8Array, wire: 'public' | 'private'): Promise<Uint8Array> {
      const proposal = decodeProposal(raw, 0)![0];
      if (wire === 'public') {
        const { publicMessage } = await protectProposalPublic(v.signaturePriv, v.membershipKey, context, NO_AAD, proposal, SENDER, cs);
        return pub({ version: 'mls10', wireformat: 'mls_public_message', publicMessage });
      }
      const r = await protectProposal(v.signaturePriv, v.senderDataSecret, proposal, NO_AAD, context, await freshTree(), SENDER, defaultPaddingConfig, cs);
      return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage });
    },
    async protectCommit(raw: Uint8Array, wire: 'public' | 'private'): Promise<Uint8Array> {
      const commit = decodeCommit(raw, 0)![0];
      const wireformat = wire === 'public' ? 'mls_public_message' : 'mls_private_message';
      const sender = { senderType: 'member' as const, leafIndex: SENDER };
      const { framedContent, signature } = await createContentCommitSignature(context, wireformat, commit, sender, NO_AAD, v.signaturePriv, cs.signature);
      // Any tag will do: unprotecting checks signature and membership tag, not the key schedule.
      const auth = { contentType: 'commit' as const, signature, confirmationTag: new Uint8Array(cs.kdf.size) };
      if (wire === 'public') {
        const publicMessage = await protectPublicMessage(v.membershipKey, context, { wireformat, content: framedContent, auth }, cs);
        return pub({ version: 'mls10', wireformat: 'mls_public_message', publicMessage });
      }
      const r = await protect(v.senderDataSecret, NO_AAD, context, await freshTree(), { ...framedContent, auth }, SENDER, defaultPaddingConfig, cs);
      return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage });
    },
    async protectApplication(data: Uint8Array, wire: 'public' | 'private'): Promise<Uint8Array> {
      if (wire === 'public') {
        const content = { contentType: 'application' as const, applicationData: data, groupId: v.groupId, epoch: v.epoch, sender: { senderType: 'member' as const, leafIndex: SENDER }, authenticatedData: NO_AAD };
        const auth = { contentType: 'application' as const, signature: new Uint8Array(64) };
        // RFC 9420 §6.2: application data must never travel as a PublicMessage; this throws.
        const publicMessage = await protectPublicMessage(v.membershipKey, context, { wireformat: 'mls_public_message', content, auth }, cs);
        return pub({ version: 'mls10', wireformat: 'mls_public_message', publicMessage });
      }
      const r = await protectApplicationData(v.signaturePriv, v.senderDataSecret, data, NO_AAD, context, await freshTree(), SENDER, defaultPaddingConfig, cs);
      return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage });
    },
  };
}
