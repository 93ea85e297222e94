import type { WsHandler } from './types.ts';

export const createGroup: WsHandler<'createGroup'> = ({ services, auth, frame }) => services.groups.createGroup(auth, frame.groupId);
