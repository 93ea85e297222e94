import type { WsHandler } from './types.ts';

export const ack: WsHandler<'ack'> = ({ services, auth, frame }) => services.groups.ack(auth, frame.groupId, frame.seq);
