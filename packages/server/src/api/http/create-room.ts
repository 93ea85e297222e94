import { route } from './types.ts';

export const createRoom = route({
  name: 'createRoom',
  handle: ({ services, auth, body }) => services.rooms.create(auth, body.accessKey, body.lobby ?? false),
});
