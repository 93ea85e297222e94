export { CryptoError, CryptoErrorCodes, WrongPasswordError, WrongEpochError, UntrustedIdentityError, type CryptoErrorCode } from './errors.ts';
export { generateAccountKey, signDeviceCredential, verifyDeviceCredential, type AccountKeyPair } from './account.ts';
export { newKdfParams, derivePasswordKeys, sealAccountKey, openAccountKey } from './password.ts';
export { safetyNumber, type SafetyNumberParty } from './safety-number.ts';
export { encryptAttachment, decryptAttachment, sha256 } from './attachment.ts';
export { CIPHERSUITE_NAME } from './mls-suite.ts';
export { type DeviceSigningKeys, type DeviceCredential, type IdentityVerifier } from './mls-identity.ts';
export { generateDeviceSigningKeys, generateKeyPackages, parseKeyPackage, type KeyPackageBundle } from './mls-key-package.ts';
export { createGroup, commitChanges, joinFromWelcome, type CommitOutput } from './mls-group.ts';
export { encryptMessage, processMessage, type Processed } from './mls-message.ts';
export {
  groupId,
  groupEpoch,
  groupMembers,
  ownIdentity,
  exportSecret,
  encodeGroupState,
  decodeGroupState,
  type GroupState,
} from './mls-state.ts';
export { deriveLinkKey, sealForLink, openFromLink } from './device-link.ts';
export {
  newRoomSecret,
  newEpochSecret,
  roomAccessKey,
  epochZeroSecret,
  roomLink,
  parseRoomLink,
  clampRoomName,
  sealRoomName,
  openRoomName,
  newRoomJoinKeys,
  roomPubMac,
  verifyRoomPubMac,
  sealPairwise,
  openPairwise,
  sealRoomChat,
  openRoomChat,
  roomChatEpoch,
  MAX_ROOM_NAME_BYTES,
  type RoomLink,
  type RoomJoinKeys,
} from './room-keys.ts';
export { ratchetRoot, ratchetRootBy, senderKeyMaterial, roomChatKey, ROOM_SECRET_BYTES } from './room-ratchet.ts';
export { callRoomSecret, CALL_EXPORTER_LABEL } from './room-call.ts';
