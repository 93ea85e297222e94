import { route } from './types.ts';

export const keyPackageCount = route({
  name: 'keyPackageCount',
  handle: ({ services, auth }) => services.keyPackages.count(auth),
});
