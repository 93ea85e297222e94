import { lowercaseUsername, route } from './types.ts';

export const register = route({
  name: 'register',
  normalize: lowercaseUsername,
  handle: ({ services, body }) => services.accounts.register(body),
});
