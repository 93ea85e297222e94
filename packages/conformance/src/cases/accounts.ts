import { PROTOCOL_VERSION, fromBase64Url, toBase64Url } from '@charla/protocol';
import type { Case } from '../case.ts';
import { randomBytes, randomUsername } from '../harness/context.ts';
import { check } from '../harness/failures.ts';
import { expectHttpError, expectOk, parseError } from '../harness/http-client.ts';

export const accountCases: readonly Case[] = [
  {
    rule: '[WS-6]',
    title: 'GET /healthz answers 200 and GET /v1/info matches its schema',
    async run(ctx) {
      const health = await fetch(new URL('/healthz', ctx.base));
      check(health.status === 200, `/healthz answered ${health.status}`);
      const info = expectOk(await ctx.http.call('info'), 'info') as { protocolVersion: number };
      check(info.protocolVersion === PROTOCOL_VERSION, `protocolVersion ${info.protocolVersion}, expected ${PROTOCOL_VERSION}`);
    },
  },
  {
    rule: '[ID-2]',
    title: 'register answers the user id @username:serverName',
    async run(ctx) {
      const user = await ctx.registerUser();
      check(user.userId === `@${user.username}:${ctx.info.serverName}`, `userId ${user.userId} for ${user.username} on ${ctx.info.serverName}`);
    },
  },
  {
    rule: '[AUTH-4]',
    title: 'registering a taken username answers USERNAME_TAKEN',
    async run(ctx) {
      const user = await ctx.registerUser();
      const { body } = ctx.newUserBody(user.username);
      expectHttpError(await ctx.http.call('register', { body }), 'USERNAME_TAKEN', 'second register');
    },
  },
  {
    rule: '[ID-1]',
    title: 'invalid usernames and malformed register bodies answer BAD_REQUEST',
    async run(ctx) {
      ctx.requireOpenRegistration();
      for (const username of ['ab', '-ana', 'ana!', 'ana maria', 'añа', 'a'.repeat(33)]) {
        const { body } = ctx.newUserBody(username);
        expectHttpError(await ctx.http.call('register', { body }), 'BAD_REQUEST', `register ${JSON.stringify(username)}`);
      }
      const { body } = ctx.newUserBody();
      const { authKey: _drop, ...withoutAuthKey } = body;
      expectHttpError(await ctx.http.call('register', { body: withoutAuthKey }), 'BAD_REQUEST', 'register without authKey');
      expectHttpError(await ctx.http.call('register', { body: { ...body, authKey: 'short' } }), 'BAD_REQUEST', 'register with a short authKey');
      expectHttpError(await ctx.http.call('register', { body: '{"username":' }), 'BAD_REQUEST', 'register with broken JSON');
      expectHttpError(await ctx.http.call('register', { body: [1, 2] }), 'BAD_REQUEST', 'register with an array');
    },
  },
  {
    rule: '[ID-1]',
    title: 'usernames are case-insensitive: register, prelogin and login lowercase them',
    async run(ctx) {
      ctx.requireOpenRegistration();
      const { body, user } = ctx.newUserBody();
      const upper = user.username.toUpperCase();
      const reg = expectOk(await ctx.http.call('register', { body: { ...body, username: upper } }), 'register in upper case') as { userId: string };
      check(reg.userId === `@${user.username}:${ctx.info.serverName}`, `registered as ${reg.userId}`);
      expectHttpError(await ctx.http.call('register', { body }), 'USERNAME_TAKEN', 'register the lowercase name again');
      expectOk(await ctx.http.call('prelogin', { body: { username: upper } }), 'prelogin in upper case');
      const login = expectOk(await ctx.http.call('login', { body: { username: upper, authKey: user.authKey, deviceName: 'x' } }), 'login in upper case') as { userId: string };
      check(login.userId === reg.userId, `login in upper case gave ${login.userId}`);
    },
  },
  {
    rule: '[AUTH-1]',
    title: 'prelogin returns the KDF parameters given at registration',
    async run(ctx) {
      const { body, user } = ctx.newUserBody();
      ctx.requireOpenRegistration();
      expectOk(await ctx.http.call('register', { body }), 'register');
      const data = expectOk(await ctx.http.call('prelogin', { body: { username: user.username } }), 'prelogin') as { kdf: unknown };
      check(JSON.stringify(data.kdf) === JSON.stringify(body.kdf), `prelogin kdf ${JSON.stringify(data.kdf)} differs from ${JSON.stringify(body.kdf)}`);
    },
  },
  {
    rule: '[AUTH-6]',
    title: 'prelogin of an unknown username answers UNKNOWN_USER',
    async run(ctx) {
      expectHttpError(await ctx.http.call('prelogin', { body: { username: randomUsername() } }), 'UNKNOWN_USER', 'prelogin');
    },
  },
  {
    rule: '[AUTH-5]',
    title: 'login creates a device and returns the stored account key material',
    async run(ctx) {
      const { body, user } = ctx.newUserBody();
      ctx.requireOpenRegistration();
      const reg = expectOk(await ctx.http.call('register', { body }), 'register') as { userId: string };
      const a = expectOk(await ctx.http.call('login', { body: { username: user.username, authKey: user.authKey, deviceName: 'one' } }), 'login') as Record<string, unknown>;
      const b = expectOk(await ctx.http.call('login', { body: { username: user.username, authKey: user.authKey, deviceName: 'two' } }), 'login') as Record<string, unknown>;
      check(a.userId === reg.userId, 'login userId differs from register');
      check(a.accountPublicKey === body.accountPublicKey, 'login accountPublicKey differs from the registered one');
      check(a.encryptedAccountKey === body.encryptedAccountKey, 'login encryptedAccountKey differs from the registered one');
      check(a.deviceId !== b.deviceId, 'two logins returned the same deviceId');
      check(a.token !== b.token, 'two logins returned the same token');
      check(typeof a.expiresAt === 'number' && a.expiresAt > Date.now(), 'expiresAt is not in the future');
    },
  },
  {
    rule: '[AUTH-5]',
    title: 'a wrong authKey and an unknown username both answer INVALID_CREDENTIALS',
    async run(ctx) {
      const user = await ctx.registerUser();
      const wrong = toBase64Url(randomBytes(32));
      expectHttpError(await ctx.http.call('login', { body: { username: user.username, authKey: wrong, deviceName: 'x' } }), 'INVALID_CREDENTIALS', 'wrong authKey');
      expectHttpError(await ctx.http.call('login', { body: { username: randomUsername(), authKey: wrong, deviceName: 'x' } }), 'INVALID_CREDENTIALS', 'unknown user');
      // A flipped bit of the right key is a wrong key too: the server compares all 32 bytes.
      const flipped = fromBase64Url(user.authKey);
      flipped[31] = flipped[31]! ^ 1;
      expectHttpError(await ctx.http.call('login', { body: { username: user.username, authKey: toBase64Url(flipped), deviceName: 'x' } }), 'INVALID_CREDENTIALS', 'authKey off by one bit');
      expectHttpError(await ctx.http.call('login', { body: { username: user.username, authKey: user.authKey } }), 'BAD_REQUEST', 'login without deviceName');
    },
  },
  {
    rule: '[WS-5]',
    title: 'a missing or forged bearer token answers UNAUTHENTICATED; unknown paths NOT_FOUND',
    async run(ctx) {
      expectHttpError(await ctx.http.call('ownDevices'), 'UNAUTHENTICATED', 'no token');
      expectHttpError(await ctx.http.call('ownDevices', { token: toBase64Url(randomBytes(32)) }), 'UNAUTHENTICATED', 'forged token');
      const device = await ctx.login(await ctx.registerUser());
      expectHttpError(await ctx.http.call('ownDevices', { token: `${device.token}x` }), 'UNAUTHENTICATED', 'token with a byte appended');
      const res = await ctx.http.raw('GET', '/v1/no-such-method');
      check(res.status === 404, `unknown path answered ${res.status}`);
      const error = await parseError(res, 'unknown path');
      check(error.code === 'NOT_FOUND', `unknown path answered ${error.code}`);
    },
  },
  {
    rule: '[AUTH-7]',
    title: 'after logout the token answers UNAUTHENTICATED over HTTP and WebSocket',
    async run(ctx) {
      const device = await ctx.newDevice();
      expectOk(await ctx.http.call('logout', { token: device.token }), 'logout');
      expectHttpError(await ctx.http.call('ownDevices', { token: device.token }), 'UNAUTHENTICATED', 'ownDevices after logout');
      const conn = await ctx.open();
      await conn.err({ t: 'auth', token: device.token, protocol: PROTOCOL_VERSION }, 'UNAUTHENTICATED');
    },
  },
];
