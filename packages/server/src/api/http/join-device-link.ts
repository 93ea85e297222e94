import { route } from './types.ts';

export const joinDeviceLink = route({
  name: 'joinDeviceLink',
  handle: ({ services, params, body, clientAddress }) => services.deviceLinks.join(params.linkId ?? '', body.deviceName, clientAddress),
});
