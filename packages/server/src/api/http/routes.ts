import type { HttpMethodName } from '@charla/protocol';
import type { HttpRoute } from './types.ts';
import { activateDevice } from './activate-device.ts';
import { claimKeyPackages } from './claim-key-packages.ts';
import { createDeviceLink } from './create-device-link.ts';
import { createInviteToken } from './create-invite-token.ts';
import { createRoom } from './create-room.ts';
import { downloadBlob } from './download-blob.ts';
import { info } from './info.ts';
import { joinDeviceLink } from './join-device-link.ts';
import { keyPackageCount } from './key-package-count.ts';
import { linkMessages } from './link-messages.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { ownDevices } from './own-devices.ts';
import { postLinkMessage } from './post-link-message.ts';
import { prelogin } from './prelogin.ts';
import { register } from './register.ts';
import { revokeDevice } from './revoke-device.ts';
import { uploadBlob } from './upload-blob.ts';
import { uploadKeyPackages } from './upload-key-packages.ts';
import { user } from './user.ts';

/** One handler per protocol HTTP method; the type makes a missing one a compile error. */
export const HTTP_ROUTES: { readonly [N in HttpMethodName]: HttpRoute<N> } = {
  info,
  prelogin,
  register,
  login,
  logout,
  activateDevice,
  ownDevices,
  revokeDevice,
  user,
  uploadKeyPackages,
  keyPackageCount,
  claimKeyPackages,
  uploadBlob,
  downloadBlob,
  createInviteToken,
  createRoom,
  createDeviceLink,
  joinDeviceLink,
  postLinkMessage,
  linkMessages,
};
