import type { ClientFrame } from '@charla/protocol';
import type { WsHandler } from './types.ts';
import { ack } from './ack.ts';
import { commit } from './commit.ts';
import { createGroup } from './create-group.ts';
import { groupInfo } from './group-info.ts';
import { ping } from './ping.ts';
import { redact } from './redact.ts';
import { send } from './send.ts';

/** Every frame type after auth (auth itself is handled by the connection, which it changes). */
export const WS_HANDLERS: { readonly [T in Exclude<ClientFrame['t'], 'auth'>]: WsHandler<T> } = {
  createGroup,
  commit,
  send,
  ack,
  redact,
  groupInfo,
  ping,
};
