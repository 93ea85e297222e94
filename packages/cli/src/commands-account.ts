import { registerAccount, loginAccount, joinDeviceLink, HttpApi } from '@charla/sdk';
import { renderUnicodeCompact } from 'uqr';
import { UsageError } from './args.ts';
import type { Command, CommandContext } from './context.ts';
import type { SqliteStore } from '@charla/sdk/node';
import { emit, note, username } from './output.ts';
import { readPassword } from './password.ts';

/**
 * The store of a profile that has no device yet: signing up or logging in again over an existing
 * profile would replace this device's keys and cut it off from its chats.
 */
async function freshProfileStore(ctx: CommandContext): Promise<SqliteStore> {
  const store = ctx.openStore();
  const existing = await store.get<{ userId: string; deviceId: string }>('profile', 'self');
  if (existing) {
    await store.close();
    throw new UsageError(`the profile ${ctx.profileDir} already is device ${existing.deviceId} of ${existing.userId}; use --profile DIR for another account or device`);
  }
  return store;
}

function need(value: string | boolean | undefined, what: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

const passwordOptions = {
  username: { type: 'string', description: 'your username (3–32 of a-z 0-9 . _ -)' },
  'password-stdin': { type: 'boolean', description: 'read the password from the first line of standard input' },
  'device-name': { type: 'string', description: 'a name for this device, shown in `charla devices`' },
} as const;

export const accountCommands: Command[] = [
  {
    name: 'register',
    usage: 'charla register --username NAME [--password-stdin] [--invite-token TOKEN]',
    summary: 'create an account (no phone number, no email) and this device',
    options: { ...passwordOptions, 'invite-token': { type: 'string', description: 'needed when the server only allows invited sign-ups' } },
    async run(ctx) {
      const name = need(ctx.values['username'], '--username');
      const password = await readPassword(ctx.stdin, ctx.io.stderr, ctx.values['password-stdin'] === true, true);
      const store = await freshProfileStore(ctx);
      try {
        const invite = ctx.values['invite-token'];
        const profile = await registerAccount(store, {
          serverUrl: ctx.serverUrl,
          username: name,
          password,
          deviceName: typeof ctx.values['device-name'] === 'string' ? ctx.values['device-name'] : 'cli',
          ...(typeof invite === 'string' ? { inviteToken: invite } : {}),
        });
        emit(ctx.io, `Welcome, ${name}! You are ${profile.userId}. Share 'charla invite' so people can reach you.`, { type: 'registered', userId: profile.userId, deviceId: profile.deviceId });
      } finally {
        await store.close();
      }
    },
  },
  {
    name: 'login',
    usage: 'charla login --username NAME [--password-stdin]',
    summary: 'add this computer as a new device of your account',
    options: passwordOptions,
    async run(ctx) {
      const name = need(ctx.values['username'], '--username');
      const password = await readPassword(ctx.stdin, ctx.io.stderr, ctx.values['password-stdin'] === true, false);
      const store = await freshProfileStore(ctx);
      try {
        const profile = await loginAccount(store, {
          serverUrl: ctx.serverUrl,
          username: name,
          password,
          deviceName: typeof ctx.values['device-name'] === 'string' ? ctx.values['device-name'] : 'cli',
        });
        emit(ctx.io, `Logged in as ${profile.userId} on a new device (${profile.deviceId}). Your other devices add it to your chats; new messages arrive here from now on.`, { type: 'logged-in', userId: profile.userId, deviceId: profile.deviceId });
      } finally {
        await store.close();
      }
    },
  },
  {
    name: 'link',
    usage: 'charla link CODE_OR_URL [--device-name NAME]',
    summary: 'make this computer a device of your account, vouched for by one you are logged in on (no password)',
    options: { 'device-name': passwordOptions['device-name'] },
    async run(ctx, args) {
      const code = need(args.join(''), 'CODE_OR_URL (from charla devices link, or the web app)');
      const store = await freshProfileStore(ctx);
      try {
        note(ctx.io, 'Waiting for your other device…');
        const profile = await joinDeviceLink(store, code, {
          serverUrl: ctx.serverUrl,
          deviceName: typeof ctx.values['device-name'] === 'string' ? ctx.values['device-name'] : 'cli',
        });
        emit(ctx.io, `Linked: this computer is now a device of ${profile.userId}, with your recent chats.`, { type: 'linked', userId: profile.userId, deviceId: profile.deviceId });
      } finally {
        await store.close();
      }
    },
  },
  {
    name: 'whoami',
    usage: 'charla whoami',
    summary: 'show this device\'s account and server',
    async run(ctx) {
      await ctx.withClient(async (client) => {
        const p = client.profile;
        emit(ctx.io, `${p.userId} on ${p.serverUrl}, device ${p.deviceId} (${p.deviceName})`, { type: 'whoami', userId: p.userId, server: p.serverUrl, deviceId: p.deviceId });
      });
    },
  },
  {
    name: 'devices',
    usage: 'charla devices [link | revoke DEVICE_ID]',
    summary: 'list your devices, link a new one (QR or code), or revoke one (it leaves every chat)',
    async run(ctx, args) {
      await ctx.withClient(async (client) => {
        if (args[0] === 'link') {
          const link = await client.linkNewDevice();
          if (!ctx.io.json) ctx.io.stdout.write(`${renderUnicodeCompact(link.url, { border: 1 })}\n`);
          emit(
            ctx.io,
            `On the new device, scan the code, open ${link.url}\nor run: charla link ${link.code}\n(valid for 10 minutes, once)`,
            { type: 'link', url: link.url, code: link.code, expiresAt: link.expiresAt },
          );
          const { deviceId } = await link.completed;
          emit(ctx.io, `Linked device ${deviceId}. It has your recent chats; new messages reach it as soon as it is added to them.`, { type: 'linked', deviceId });
          return;
        }
        if (args[0] === 'revoke') {
          const id = need(args[1], 'DEVICE_ID');
          const devices = await client.devices();
          const match = devices.filter((d) => d.deviceId.startsWith(id));
          if (match.length !== 1) throw new UsageError(match.length ? `${id} matches several devices` : `no device ${id}`);
          if (match[0]!.current) throw new UsageError('that is this device; revoke it from another one');
          await client.revokeDevice(match[0]!.deviceId);
          emit(ctx.io, `Revoked ${match[0]!.deviceId} (${match[0]!.name}). It can no longer read anything new.`, { type: 'revoked', deviceId: match[0]!.deviceId });
          return;
        }
        if (args.length) throw new UsageError(`unknown devices subcommand ${args[0]}`);
        for (const d of await client.devices()) {
          emit(ctx.io, `${d.deviceId}  ${d.name}${d.current ? '  (this device)' : ''}  added ${new Date(d.createdAt).toISOString().slice(0, 10)}`, { type: 'device', ...d });
        }
      });
    },
  },
  {
    name: 'safety-number',
    usage: 'charla safety-number USER',
    summary: 'the number to compare with USER in person: the same on both sides',
    async run(ctx, args) {
      const who = need(args[0], 'USER');
      await ctx.withClient(async (client) => {
        const number = await client.safetyNumber(who);
        await client.keyChangedSinceLastWarning(who);
        emit(ctx.io, `Safety number with ${username(client.directory.resolve(who))}:\n${number}\nCompare it with theirs in person or on a call; if it matches, nobody is in the middle.`, { type: 'safety-number', user: client.directory.resolve(who), number });
      });
    },
  },
  {
    name: 'invite',
    usage: 'charla invite',
    summary: 'print your invite link (it also proves your account key to whoever opens it)',
    async run(ctx) {
      await ctx.withClient(async (client) => {
        const link = await client.inviteLink();
        emit(ctx.io, link, { type: 'invite', link });
      });
    },
  },
  {
    name: 'accept',
    usage: 'charla accept LINK',
    summary: 'open a chat with the owner of an invite link',
    async run(ctx, args) {
      const link = need(args[0], 'LINK');
      await ctx.withClient(async (client) => {
        const conv = await client.acceptInvite(link);
        emit(ctx.io, `Chat with ${conv.name} is ready: charla send ${conv.name} "hola"`, { type: 'conversation', id: conv.id, peer: conv.peer });
      });
    },
  },
  {
    name: 'admin invite-token',
    usage: 'charla admin invite-token',
    summary: 'create a single-use sign-up token (server admins only)',
    async run(ctx) {
      await ctx.withClient(async (client) => {
        const { token } = await new HttpApi(client.profile.serverUrl, client.profile.token).call('createInviteToken');
        emit(ctx.io, token, { type: 'invite-token', token });
      });
    },
  },
];
