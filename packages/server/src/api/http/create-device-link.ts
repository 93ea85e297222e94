import { route } from './types.ts';

export const createDeviceLink = route({
  name: 'createDeviceLink',
  handle: ({ services, auth }) => services.deviceLinks.create(auth),
});
