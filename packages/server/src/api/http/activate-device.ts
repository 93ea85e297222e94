import { route } from './types.ts';

export const activateDevice = route({
  name: 'activateDevice',
  handle: ({ services, auth, body }) => services.devices.activate(auth, body.signatureKey, body.credentialSignature),
});
