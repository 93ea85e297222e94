import { z } from 'zod';
import { Base64Url, MessageId, UserId } from './ids.ts';
import { RoomId } from './rooms.ts';

/**
 * [CONTENT-1] What travels inside an MLS application message, after decryption: UTF-8 JSON of one
 * of these shapes. The server never sees it. The field names follow draft-ietf-mimi-content where
 * it has a concept (id, inReplyTo, replaces, expires, contentType); Charla-specific kinds are
 * namespaced by `kind`.
 */
const Base = {
  v: z.literal(1),
  /** The sender's message id, the same as the envelope's msgId. */
  id: MessageId,
  /** Sender's clock, Unix ms. */
  ts: z.number().int(),
};

export const AttachmentRef = z.object({
  /** Blob id on the sender's server. */
  blobId: z.string().min(1).max(64),
  /** Where to download it (absolute URL of GET /v1/blobs/:blobId). */
  url: z.string().max(2048),
  /** AES-256-GCM key, 32 bytes; the blob is nonce(12) || ciphertext || tag(16). */
  key: Base64Url.length(43),
  /** SHA-256 of the encrypted blob, checked before decrypting. */
  hash: Base64Url.length(43),
  name: z.string().max(255),
  mediaType: z.string().max(255),
  size: z.number().int().min(0),
  /** [CONTENT-8] For images: a small preview (a `data:image/jpeg;base64,` URL) and the full size, so the chat shows it before the download. */
  thumbnail: z.string().max(24_000).regex(/^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/=]+$/).optional(),
  width: z.number().int().min(1).max(100_000).optional(),
  height: z.number().int().min(1).max(100_000).optional(),
});
export type AttachmentRef = z.infer<typeof AttachmentRef>;

export const TextContent = z.object({
  ...Base,
  kind: z.literal('text'),
  text: z.string().max(65_536),
  inReplyTo: MessageId.optional(),
  /** Unix ms after which every device deletes this message ([CONTENT-5]). */
  expires: z.number().int().optional(),
  attachment: AttachmentRef.optional(),
});
export const ReactionContent = z.object({ ...Base, kind: z.literal('reaction'), target: MessageId, emoji: z.string().min(1).max(32), remove: z.boolean().optional() });
export const EditContent = z.object({ ...Base, kind: z.literal('edit'), replaces: MessageId, text: z.string().max(65_536) });
export const DeleteContent = z.object({ ...Base, kind: z.literal('delete'), replaces: MessageId });
export const ReceiptContent = z.object({ ...Base, kind: z.literal('receipt'), status: z.enum(['delivered', 'read']), targets: z.array(MessageId).max(500) });
export const TypingContent = z.object({ ...Base, kind: z.literal('typing'), active: z.boolean() });
export const TimerContent = z.object({ ...Base, kind: z.literal('timer'), seconds: z.number().int().min(0).max(31_536_000) });
/**
 * [CONTENT-6] Conversation metadata. Sent by a group's creator right after creating it and by any
 * member after a commit that adds devices, so that every device (including ones that joined later
 * and cannot read earlier messages) knows what the group is.
 */
export const ConversationContent = z.object({
  ...Base,
  kind: z.literal('conversation'),
  type: z.enum(['direct', 'group']),
  name: z.string().max(100).optional(),
  members: z.array(UserId).max(1000).optional(),
  /** [CONTENT-9] Group admins; only their renames and admin changes are applied. The creator is the first. */
  admins: z.array(UserId).max(1000).optional(),
});
/** [CONTENT-10] The sender leaves the group: any other member commits the removal of its devices. */
export const LeaveContent = z.object({ ...Base, kind: z.literal('leave') });

/**
 * [CONTENT-11] A call started in this chat: a room whose link secret is the group's MLS exporter
 * secret at `epoch` (label "charla call v1", context this message's id, 32 bytes), so it never travels:
 * every member derives it, nobody else can. The host token stays with the caller.
 */
export const CallContent = z.object({
  ...Base,
  kind: z.literal('call'),
  roomId: RoomId,
  /** The server that holds the room (origin plus any path prefix). */
  server: z.string().url().max(2048),
  /** The MLS epoch whose exporter secret keys the room. */
  epoch: z.number().int().min(0),
});

export const Content = z.discriminatedUnion('kind', [
  TextContent,
  ReactionContent,
  EditContent,
  DeleteContent,
  ReceiptContent,
  TypingContent,
  TimerContent,
  ConversationContent,
  LeaveContent,
  CallContent,
]);
export type Content = z.infer<typeof Content>;
export type ContentKind = Content['kind'];
