import { route } from './types.ts';

export const revokeDevice = route({
  name: 'revokeDevice',
  handle: ({ services, auth, params }) => services.devices.revoke(auth, params.deviceId ?? ''),
});
