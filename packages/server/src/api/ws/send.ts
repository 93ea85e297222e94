import type { WsHandler } from './types.ts';

export const send: WsHandler<'send'> = ({ services, auth, frame, body }) => services.groups.send(auth, frame, body ?? new Uint8Array(0));
