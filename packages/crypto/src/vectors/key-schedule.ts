import type { CiphersuiteImpl, GroupContext, KeySchedule } from 'ts-mls';
import { getCiphersuiteNameFromId, type CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js';
import { encodeGroupContext } from 'ts-mls/groupContext.js';
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js';

export interface EpochInput {
  cipherSuite: number;
  groupId: Uint8Array;
  epoch: bigint;
  treeHash: Uint8Array;
  confirmedTranscriptHash: Uint8Array;
  initSecret: Uint8Array;
  commitSecret: Uint8Array;
  pskSecret: Uint8Array;
  exporter: { label: string; context: Uint8Array; length: number };
}

export interface EpochOutput {
  groupContext: Uint8Array;
  joinerSecret: Uint8Array;
  welcomeSecret: Uint8Array;
  keySchedule: KeySchedule;
  encryptionSecret: Uint8Array;
  externalPub: Uint8Array;
  exported: Uint8Array;
}

/** RFC 9420 §8: one epoch of the key schedule, from the previous init secret and this epoch's inputs. */
export async function keyScheduleEpoch(cs: CiphersuiteImpl, input: EpochInput): Promise<EpochOutput> {
  const context: GroupContext = {
    version: 'mls10',
    cipherSuite: getCiphersuiteNameFromId(input.cipherSuite as CiphersuiteId),
    groupId: input.groupId,
    epoch: input.epoch,
    treeHash: input.treeHash,
    confirmedTranscriptHash: input.confirmedTranscriptHash,
    extensions: [],
  };
  const secrets = await initializeEpoch(input.initSecret, input.commitSecret, context, input.pskSecret, cs.kdf);
  const external = await cs.hpke.deriveKeyPair(secrets.keySchedule.externalSecret);
  const { label, context: exporterContext, length } = input.exporter;
  return {
    groupContext: encodeGroupContext(context),
    joinerSecret: secrets.joinerSecret,
    welcomeSecret: secrets.welcomeSecret,
    keySchedule: secrets.keySchedule,
    encryptionSecret: secrets.encryptionSecret,
    externalPub: await cs.hpke.exportPublicKey(external.publicKey),
    exported: await mlsExporter(secrets.keySchedule.exporterSecret, label, exporterContext, length, cs),
  };
}
