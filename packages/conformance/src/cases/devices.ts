import { ed25519 } from '@noble/curves/ed25519.js';
import { PROTOCOL_VERSION, deviceCredentialBytes, fromBase64Url, randomId, toBase64Url } from '@charla/protocol';
import type { Case } from '../case.ts';
import { check } from '../harness/failures.ts';
import { expectHttpError, expectOk } from '../harness/http-client.ts';

interface UserView {
  userId: string;
  accountPublicKey: string;
  devices: { deviceId: string; signatureKey: string; credentialSignature: string }[];
}

export const deviceCases: readonly Case[] = [
  {
    rule: '[DEV-1]',
    title: 'an activated device is listed with a credential signature that verifies under the account key',
    async run(ctx) {
      const device = await ctx.login(await ctx.registerUser(), 'laptop');
      const before = expectOk(await ctx.http.call('user', { token: device.token, params: { userId: device.user.userId } }), 'user') as UserView;
      check(!before.devices.some((d) => d.deviceId === device.deviceId), 'a pending device is listed by user');
      await ctx.activate(device);
      const view = expectOk(await ctx.http.call('user', { token: device.token, params: { userId: device.user.userId } }), 'user') as UserView;
      check(view.accountPublicKey === toBase64Url(device.user.accountPublicKey), 'user shows another account key');
      const listed = view.devices.find((d) => d.deviceId === device.deviceId);
      check(listed, 'the activated device is not listed by user');
      const signed = deviceCredentialBytes(view.userId, listed.deviceId, fromBase64Url(listed.signatureKey));
      check(ed25519.verify(fromBase64Url(listed.credentialSignature), signed, fromBase64Url(view.accountPublicKey)), 'listed credential signature does not verify');
      const own = expectOk(await ctx.http.call('ownDevices', { token: device.token }), 'ownDevices') as { devices: { deviceId: string; name: string; current: boolean }[] };
      const mine = own.devices.find((d) => d.deviceId === device.deviceId);
      check(mine?.current === true && mine.name === 'laptop', `ownDevices shows ${JSON.stringify(mine)}`);
    },
  },
  {
    rule: '[DEV-1]',
    title: 'activation with a credential signature by another key is refused with FORBIDDEN',
    async run(ctx) {
      const device = await ctx.login(await ctx.registerUser());
      const forged = ctx.credentialSignature(device, ed25519.utils.randomSecretKey());
      const body = { signatureKey: toBase64Url(device.signatureKey), credentialSignature: toBase64Url(forged) };
      expectHttpError(await ctx.http.call('activateDevice', { token: device.token, body }), 'FORBIDDEN', 'forged activation');
      const view = expectOk(await ctx.http.call('user', { token: device.token, params: { userId: device.user.userId } }), 'user') as UserView;
      check(!view.devices.some((d) => d.deviceId === device.deviceId), 'the device was activated by a forged signature');
    },
  },
  {
    rule: '[DEV-7]',
    title: "a signature made for one device does not activate another",
    async run(ctx) {
      const user = await ctx.registerUser();
      const a = await ctx.login(user);
      const b = await ctx.login(user);
      const sigForA = ctx.credentialSignature(a);
      // b presents a's key and a's signature: the signed bytes name a, so the server must refuse.
      const body = { signatureKey: toBase64Url(a.signatureKey), credentialSignature: toBase64Url(sigForA) };
      expectHttpError(await ctx.http.call('activateDevice', { token: b.token, body }), 'FORBIDDEN', 'replayed activation');
    },
  },
  {
    rule: '[DEV-1]',
    title: 'a pending device may not upload key packages (FORBIDDEN)',
    async run(ctx) {
      const device = await ctx.login(await ctx.registerUser());
      const body = { keyPackages: [toBase64Url(new Uint8Array(40).fill(7))] };
      expectHttpError(await ctx.http.call('uploadKeyPackages', { token: device.token, body }), 'FORBIDDEN', 'upload from a pending device');
    },
  },
  {
    rule: '[DEV-5]',
    title: "another account's view of a user shows no device names",
    async run(ctx) {
      const ana = await ctx.newDevice();
      const bob = await ctx.newDevice();
      const res = await ctx.http.raw('GET', `/v1/users/${encodeURIComponent(ana.user.userId)}`, undefined, bob.token);
      check(res.status === 200, `user answered ${res.status}`);
      const text = await res.text();
      check(!/"name"\s*:/.test(text), `user answer exposes device names: ${text.slice(0, 300)}`);
      expectHttpError(await ctx.http.call('user', { token: bob.token, params: { userId: `@${randomId(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}x:${ctx.info.serverName}` } }), 'UNKNOWN_USER', 'unknown user');
    },
  },
  {
    rule: '[DEV-3]',
    title: 'a new active device of a member writes a devices event to its groups',
    async run(ctx) {
      const ana = await ctx.newDevice();
      const bob = await ctx.newDevice();
      const anaConn = await ctx.connect(ana, 'ana');
      const bobConn = await ctx.connect(bob, 'bob');
      await Promise.all([anaConn.waitSynced(), bobConn.waitSynced()]);
      const groupId = await ctx.createGroup(anaConn);
      await ctx.commit(anaConn, groupId, 0, [bob]);
      await bobConn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'welcome', 'welcome');
      const ana2 = await ctx.login(ana.user);
      await ctx.activate(ana2);
      const ev = await bobConn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'devices', 'devices event');
      check(ev.header.userId === ana.user.userId, `devices event names ${ev.header.userId}`);
      check(ev.header.sender === null, 'a server-written entry has a sender');
    },
  },
  {
    rule: '[DEV-6]',
    title: 'a revoked device is unlisted and its token answers DEVICE_REVOKED',
    async run(ctx) {
      const user = await ctx.registerUser();
      const a = await ctx.newDevice(user);
      const b = await ctx.newDevice(user);
      const bConn = await ctx.connect(b, 'b');
      expectHttpError(await ctx.http.call('revokeDevice', { token: a.token, params: { deviceId: randomId() } }), 'UNKNOWN_DEVICE', 'revoke unknown device');
      expectOk(await ctx.http.call('revokeDevice', { token: a.token, params: { deviceId: b.deviceId } }), 'revokeDevice');
      expectHttpError(await ctx.http.call('ownDevices', { token: b.token }), 'DEVICE_REVOKED', 'revoked token');
      const view = expectOk(await ctx.http.call('user', { token: a.token, params: { userId: user.userId } }), 'user') as UserView;
      check(!view.devices.some((d) => d.deviceId === b.deviceId), 'revoked device still listed');
      await Promise.race([bConn.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('[DEV-6] the revoked device\'s WebSocket stays open')), 5_000))]);
      const conn = await ctx.open();
      await conn.err({ t: 'auth', token: b.token, protocol: PROTOCOL_VERSION }, 'DEVICE_REVOKED');
    },
  },
];
