import { route } from './types.ts';

export const claimKeyPackages = route({
  name: 'claimKeyPackages',
  handle: ({ services, auth, body }) => services.keyPackages.claim(auth, body.users),
});
