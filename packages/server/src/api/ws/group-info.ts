import type { WsHandler } from './types.ts';

export const groupInfo: WsHandler<'groupInfo'> = ({ services, auth, frame }) => services.groups.groupInfo(auth, frame.groupId);
