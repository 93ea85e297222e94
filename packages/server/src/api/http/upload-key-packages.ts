import { route } from './types.ts';

export const uploadKeyPackages = route({
  name: 'uploadKeyPackages',
  handle: ({ services, auth, body }) => services.keyPackages.upload(auth, body.keyPackages, body.lastResort),
});
