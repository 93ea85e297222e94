import { route } from './types.ts';

export const user = route({
  name: 'user',
  handle: ({ services, params }) => services.devices.getUser(params.userId ?? ''),
});
