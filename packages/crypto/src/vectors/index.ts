/** Internal entry point of the RFC 9420 vector harness (see suites.ts); not re-exported by the package. */
export { vectorSuite } from './suites.ts';
export { treeMath, type TreeMath } from './tree-math.ts';
export { cryptoBasics } from './crypto-basics.ts';
export { keyScheduleEpoch, type EpochInput, type EpochOutput } from './key-schedule.ts';
export { secretTreeOf, senderDataKeys, type RatchetKeys } from './secret-tree.ts';
export { messageProtection, type ProtectionInput } from './message-protection.ts';
export { checkWelcome } from './welcome.ts';
export { passiveClient, type PassiveClientInput } from './passive-client.ts';
