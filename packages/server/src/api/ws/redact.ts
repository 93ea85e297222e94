import type { WsHandler } from './types.ts';

export const redact: WsHandler<'redact'> = ({ services, auth, frame }) => services.groups.redact(auth, frame.groupId, frame.msgId);
