import { lowercaseUsername, route } from './types.ts';

export const login = route({
  name: 'login',
  normalize: lowercaseUsername,
  handle: ({ services, body, clientAddress }) => services.accounts.login(body, clientAddress),
});
