import { z } from 'zod';
import { Base64Url, BlobId, DeviceId, Username, UserId } from './ids.ts';
import type { ErrorCode } from './errors.ts';
import { CreateRoomRequest, CreateRoomResponse } from './rooms.ts';

/**
 * The HTTP methods. Each entry names its verb and path (`:name` is a path parameter), whether it
 * needs `Authorization: Bearer <token>`, its request and response schemas, and the errors it may
 * answer with besides BAD_REQUEST, RATE_LIMITED and INTERNAL, which any method may answer.
 */
export interface HttpMethod {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly auth: boolean;
  readonly request: z.ZodType | null;
  readonly response: z.ZodType | null;
  readonly errors: readonly ErrorCode[];
  readonly summary: string;
}

/** [AUTH-1] The password never leaves the client: it is stretched with scrypt under these parameters. */
export const KdfParams = z.object({
  alg: z.literal('scrypt'),
  salt: Base64Url.min(16).max(64),
  N: z.number().int().min(1024).max(1_048_576),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
});
export type KdfParams = z.infer<typeof KdfParams>;

export const LimitsSchema = z.object({
  maxFrameBytes: z.number().int(),
  maxMessageBytes: z.number().int(),
  maxBlobBytes: z.number().int(),
  maxKeyPackages: z.number().int(),
  maxKeyPackagesPerUpload: z.number().int(),
  framesPerSecond: z.number(),
  frameBurst: z.number().int(),
  maxGroupDevices: z.number().int(),
});

export const InfoResponse = z.object({
  protocolVersion: z.number().int(),
  serverName: z.string(),
  publicUrl: z.string(),
  registration: z.enum(['open', 'invite']),
  ciphersuite: z.string(),
  limits: LimitsSchema,
});

export const PreloginRequest = z.object({ username: Username });
export const PreloginResponse = z.object({ kdf: KdfParams });

export const RegisterRequest = z.object({
  username: Username,
  /** 32 bytes derived from the password ([AUTH-2]); the server stores only a memory-hard hash of it. */
  authKey: Base64Url.length(43),
  kdf: KdfParams,
  /** Ed25519 account (user) public key, 32 bytes. */
  accountPublicKey: Base64Url.length(43),
  /** The account private key sealed with the password-derived wrap key ([AUTH-3]); opaque to the server. */
  encryptedAccountKey: Base64Url.min(16).max(512),
  inviteToken: z.string().min(8).max(128).optional(),
});
export const RegisterResponse = z.object({ userId: UserId });

export const LoginRequest = z.object({
  username: Username,
  authKey: Base64Url.length(43),
  /** A label for the new device, shown only to the account's own devices. */
  deviceName: z.string().min(1).max(64),
});
export const LoginResponse = z.object({
  token: z.string(),
  expiresAt: z.number().int(),
  userId: UserId,
  deviceId: DeviceId,
  accountPublicKey: Base64Url,
  encryptedAccountKey: Base64Url,
});

/** [DEV-1] A device becomes active once it publishes its MLS signature key signed by the account key. */
export const ActivateDeviceRequest = z.object({
  signatureKey: Base64Url.length(43),
  /** Ed25519 signature by the account key over deviceCredentialBytes(userId, deviceId, signatureKey). */
  credentialSignature: Base64Url.length(86),
});

export const DeviceInfo = z.object({
  deviceId: DeviceId,
  signatureKey: Base64Url,
  credentialSignature: Base64Url,
  createdAt: z.number().int(),
});
export const OwnDeviceInfo = DeviceInfo.extend({
  name: z.string(),
  lastSeenAt: z.number().int().nullable(),
  current: z.boolean(),
});
export const OwnDevicesResponse = z.object({ devices: z.array(OwnDeviceInfo) });
export const UserResponse = z.object({
  userId: UserId,
  accountPublicKey: Base64Url,
  devices: z.array(DeviceInfo),
});

export const UploadKeyPackagesRequest = z.object({
  keyPackages: z.array(Base64Url.min(1).max(16_384)).max(100),
  lastResort: Base64Url.min(1).max(16_384).optional(),
});
export const KeyPackageCountResponse = z.object({ count: z.number().int(), hasLastResort: z.boolean() });
export const ClaimKeyPackagesRequest = z.object({ users: z.array(UserId).min(1).max(100) });
export const ClaimKeyPackagesResponse = z.object({
  keyPackages: z.array(
    z.object({ userId: UserId, deviceId: DeviceId, keyPackage: Base64Url, lastResort: z.boolean() }),
  ),
  /** Active devices that had no key package left. */
  missing: z.array(z.object({ userId: UserId, deviceId: DeviceId })),
});

/** [LINK-1] A device link lets an existing device vouch for a new one without the password. */
export const LinkId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{8}$/, 'link id: 8 Crockford base32 characters');
export const CreateDeviceLinkResponse = z.object({ linkId: LinkId, expiresAt: z.number().int() });
export const JoinDeviceLinkRequest = z.object({ deviceName: z.string().min(1).max(64) });
export const JoinDeviceLinkResponse = z.object({
  token: z.string(),
  expiresAt: z.number().int(),
  userId: UserId,
  deviceId: DeviceId,
  accountPublicKey: Base64Url,
});
/** [LINK-3] Opaque to the server: sealed with a key derived from the secret half of the link code. */
export const PostLinkMessageRequest = z.object({ payload: Base64Url.min(1).max(87_382) });
export const PostLinkMessageResponse = z.object({ seq: z.number().int() });
export const LinkMessagesResponse = z.object({
  messages: z.array(z.object({ seq: z.number().int(), from: z.enum(['creator', 'joiner']), payload: Base64Url })),
});

export const UploadBlobResponse = z.object({ blobId: BlobId, size: z.number().int() });
export const InviteTokenResponse = z.object({ token: z.string() });

export const Http = {
  info: { method: 'GET', path: '/v1/info', auth: false, request: null, response: InfoResponse, errors: [], summary: 'Server name, protocol version, registration mode and limits.' },
  prelogin: { method: 'POST', path: '/v1/prelogin', auth: false, request: PreloginRequest, response: PreloginResponse, errors: ['UNKNOWN_USER'], summary: 'The scrypt parameters to stretch this account\'s password with.' },
  register: { method: 'POST', path: '/v1/accounts', auth: false, request: RegisterRequest, response: RegisterResponse, errors: ['USERNAME_TAKEN', 'REGISTRATION_CLOSED', 'INVALID_INVITE_TOKEN'], summary: 'Create an account. No phone number, no email.' },
  login: { method: 'POST', path: '/v1/sessions', auth: false, request: LoginRequest, response: LoginResponse, errors: ['INVALID_CREDENTIALS'], summary: 'Create a new device of the account and a session token for it.' },
  logout: { method: 'DELETE', path: '/v1/sessions/current', auth: true, request: null, response: null, errors: ['UNAUTHENTICATED'], summary: 'End this session (the device stays).' },
  activateDevice: { method: 'PUT', path: '/v1/devices/current', auth: true, request: ActivateDeviceRequest, response: null, errors: ['UNAUTHENTICATED', 'FORBIDDEN'], summary: 'Publish this device\'s MLS signature key with the account key\'s signature.' },
  ownDevices: { method: 'GET', path: '/v1/devices', auth: true, request: null, response: OwnDevicesResponse, errors: ['UNAUTHENTICATED'], summary: 'This account\'s active devices.' },
  revokeDevice: { method: 'DELETE', path: '/v1/devices/:deviceId', auth: true, request: null, response: null, errors: ['UNAUTHENTICATED', 'UNKNOWN_DEVICE'], summary: 'Revoke one of this account\'s devices.' },
  user: { method: 'GET', path: '/v1/users/:userId', auth: true, request: null, response: UserResponse, errors: ['UNAUTHENTICATED', 'UNKNOWN_USER'], summary: 'A user\'s account key and active devices.' },
  uploadKeyPackages: { method: 'POST', path: '/v1/keypackages', auth: true, request: UploadKeyPackagesRequest, response: KeyPackageCountResponse, errors: ['UNAUTHENTICATED', 'FORBIDDEN', 'INVALID_KEY_PACKAGE'], summary: 'Add one-time key packages, and optionally replace the last-resort one.' },
  keyPackageCount: { method: 'GET', path: '/v1/keypackages/count', auth: true, request: null, response: KeyPackageCountResponse, errors: ['UNAUTHENTICATED'], summary: 'How many one-time key packages this device has left.' },
  claimKeyPackages: { method: 'POST', path: '/v1/keypackages/claim', auth: true, request: ClaimKeyPackagesRequest, response: ClaimKeyPackagesResponse, errors: ['UNAUTHENTICATED', 'UNKNOWN_USER'], summary: 'Atomically take one key package of every active device of these users.' },
  uploadBlob: { method: 'POST', path: '/v1/blobs', auth: true, request: null, response: UploadBlobResponse, errors: ['UNAUTHENTICATED', 'BLOB_TOO_LARGE'], summary: 'Store an (already encrypted) attachment; body is the raw bytes.' },
  downloadBlob: { method: 'GET', path: '/v1/blobs/:blobId', auth: true, request: null, response: null, errors: ['UNAUTHENTICATED', 'UNKNOWN_BLOB'], summary: 'Fetch an attachment blob as raw bytes.' },
  createDeviceLink: { method: 'POST', path: '/v1/device-links', auth: true, request: null, response: CreateDeviceLinkResponse, errors: ['UNAUTHENTICATED'], summary: 'Start linking a new device to this account; valid for 10 minutes, once.' },
  joinDeviceLink: { method: 'POST', path: '/v1/device-links/:linkId/join', auth: false, request: JoinDeviceLinkRequest, response: JoinDeviceLinkResponse, errors: ['UNKNOWN_LINK', 'LINK_USED'], summary: 'As the new device: become a (not yet active) device of the linking account.' },
  postLinkMessage: { method: 'POST', path: '/v1/device-links/:linkId/messages', auth: true, request: PostLinkMessageRequest, response: PostLinkMessageResponse, errors: ['UNAUTHENTICATED', 'UNKNOWN_LINK', 'FORBIDDEN'], summary: 'Pass a sealed message to the other side of the link.' },
  linkMessages: { method: 'GET', path: '/v1/device-links/:linkId/messages', auth: true, request: null, response: LinkMessagesResponse, errors: ['UNAUTHENTICATED', 'UNKNOWN_LINK', 'FORBIDDEN'], summary: 'The link\'s messages (both sides\'), oldest first.' },
  createInviteToken: { method: 'POST', path: '/v1/admin/invite-tokens', auth: true, request: null, response: InviteTokenResponse, errors: ['UNAUTHENTICATED', 'FORBIDDEN'], summary: 'Admins only: a single-use registration invite token.' },
  createRoom: { method: 'POST', path: '/v1/rooms', auth: true, request: CreateRoomRequest, response: CreateRoomResponse, errors: ['UNAUTHENTICATED', 'RATE_LIMITED'], summary: 'Create a room ([ROOM-2]): the server keeps SHA-256 of the access key and answers a host token.' },
} as const satisfies Record<string, HttpMethod>;

export type HttpMethodName = keyof typeof Http;
