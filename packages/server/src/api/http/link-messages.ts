import { route } from './types.ts';

export const linkMessages = route({
  name: 'linkMessages',
  handle: ({ services, auth, params }) => services.deviceLinks.read(auth, params.linkId ?? ''),
});
