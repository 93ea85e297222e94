import { lowercaseUsername, route } from './types.ts';

export const prelogin = route({
  name: 'prelogin',
  normalize: lowercaseUsername,
  handle: ({ services, body }) => services.accounts.prelogin(body.username),
});
