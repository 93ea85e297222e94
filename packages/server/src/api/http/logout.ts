import { route } from './types.ts';

export const logout = route({
  name: 'logout',
  handle: ({ services, auth }) => services.accounts.logout(auth),
});
