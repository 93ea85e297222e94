import { route } from './types.ts';

export const postLinkMessage = route({
  name: 'postLinkMessage',
  handle: ({ services, auth, params, body }) => services.deviceLinks.post(auth, params.linkId ?? '', body.payload),
});
