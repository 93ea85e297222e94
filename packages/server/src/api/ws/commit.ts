import type { WsHandler } from './types.ts';

export const commit: WsHandler<'commit'> = ({ services, auth, frame, body }) =>
  services.groups.commit(auth, frame, body ?? new Uint8Array(0));
