import { fromBase64Url, randomId, toBase64Url, type Content } from '@charla/protocol';
import { callRoomSecret, groupEpoch, parseRoomLink, roomAccessKey, roomLink, type GroupState } from '@charla/crypto';
import type { CallInfo, MessageRecord } from '../conversations.ts';
import type { HttpApi } from '../http-api.ts';

/**
 * Calls started from a chat ([CONTENT-11]): the room's link secret is the group's MLS exporter
 * secret, so the `call` message carries only the room id, server and epoch. Members derive the
 * secret when the message arrives (later states cannot, by design of the exporter).
 */

export type CallContent = Extract<Content, { kind: 'call' }>;

export interface StartedCall {
  conversationId: string;
  messageId: string;
  roomId: string;
  /** The caller's link, with the host token: open it to join as host. */
  link: string;
}

/** Creates the room of a new call in a group whose current state is `state`. */
export async function prepareCall(
  http: HttpApi,
  serverUrl: string,
  state: GroupState,
  options: { lobby?: boolean } = {},
): Promise<{ content: CallContent; secret: Uint8Array; hostToken: string }> {
  const id = randomId();
  const epoch = groupEpoch(state);
  const secret = await callRoomSecret(state, id, epoch);
  const { roomId, hostToken } = await http.call('createRoom', { accessKey: toBase64Url(roomAccessKey(secret)), ...(options.lobby ? { lobby: true } : {}) });
  const content: CallContent = { v: 1, id, ts: Date.now(), kind: 'call', roomId, server: serverUrl.replace(/\/+$/, ''), epoch };
  return { content, secret, hostToken };
}

/** What a member stores with a received call: the derived secret, or nothing if it cannot be derived. */
export async function callSecretOf(state: GroupState, content: CallContent): Promise<{ secret?: string }> {
  try {
    return { secret: toBase64Url(await callRoomSecret(state, content.id, content.epoch)) };
  } catch {
    // Sent at an epoch this device's state is not at: the link stays unavailable, the message shows.
    return {};
  }
}

/** The room link of a call message (a host link on the caller's device), or undefined. */
export function callLinkFor(message: Pick<MessageRecord, 'call'>): string | undefined {
  const call: CallInfo | undefined = message.call;
  if (!call?.secret) return undefined;
  try {
    const link = roomLink(call.server, call.roomId, fromBase64Url(call.secret), call.hostToken);
    parseRoomLink(link);
    return link;
  } catch {
    return undefined;
  }
}
