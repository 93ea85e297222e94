import { route } from './types.ts';

export const createInviteToken = route({
  name: 'createInviteToken',
  handle: ({ services, auth }) => services.accounts.createInviteToken(auth),
});
