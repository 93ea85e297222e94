import { route } from './types.ts';

export const ownDevices = route({
  name: 'ownDevices',
  handle: ({ services, auth }) => services.devices.listOwn(auth),
});
