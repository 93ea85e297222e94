import type { WsHandler } from './types.ts';

/** [WS-9] ping answers a bare ok. */
export const ping: WsHandler<'ping'> = async () => ({});
