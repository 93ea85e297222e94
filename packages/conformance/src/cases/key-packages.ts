import type { Case } from '../case.ts';
import { check } from '../harness/failures.ts';
import { expectHttpError, expectOk } from '../harness/http-client.ts';
import { randomUsername } from '../harness/context.ts';

interface Claim {
  keyPackages: { userId: string; deviceId: string; keyPackage: string; lastResort: boolean }[];
  missing: { userId: string; deviceId: string }[];
}

export const keyPackageCases: readonly Case[] = [
  {
    rule: '[KP-1]',
    title: 'uploading key packages updates the count',
    async run(ctx) {
      const device = await ctx.newDevice(undefined, 0);
      const after = await ctx.uploadKeyPackages(device, 5);
      check(after.count === 5 && after.hasLastResort, `after upload: ${JSON.stringify(after)}`);
      const count = expectOk(await ctx.http.call('keyPackageCount', { token: device.token }), 'keyPackageCount') as { count: number };
      check(count.count === 5, `count ${count.count}, expected 5`);
    },
  },
  {
    rule: '[KP-4]',
    title: 'claims take one-time packages, then the last resort; devices without any are missing',
    async run(ctx) {
      const ana = await ctx.newDevice(undefined, 1);
      const bare = await ctx.login(ana.user);
      await ctx.activate(bare);
      const bob = await ctx.newDevice(undefined, 0);
      const claim = async (): Promise<Claim> => expectOk(await ctx.http.call('claimKeyPackages', { token: bob.token, body: { users: [ana.user.userId] } }), 'claim') as Claim;
      const first = await claim();
      const kp1 = first.keyPackages.find((k) => k.deviceId === ana.deviceId);
      check(kp1 && !kp1.lastResort, `first claim: ${JSON.stringify(first)}`);
      check(first.missing.some((m) => m.deviceId === bare.deviceId), 'a device without key packages is not listed as missing');
      const second = await claim();
      const kp2 = second.keyPackages.find((k) => k.deviceId === ana.deviceId);
      check(kp2?.lastResort === true, `second claim should return the last resort: ${JSON.stringify(second)}`);
      const third = await claim();
      const kp3 = third.keyPackages.find((k) => k.deviceId === ana.deviceId);
      check(kp3?.lastResort === true && kp3.keyPackage === kp2.keyPackage, 'the last resort is not returned again');
      const count = expectOk(await ctx.http.call('keyPackageCount', { token: ana.token }), 'keyPackageCount') as { count: number; hasLastResort: boolean };
      check(count.count === 0 && count.hasLastResort, `count after claims: ${JSON.stringify(count)}`);
    },
  },
  {
    rule: '[KP-4]',
    title: "claiming one's own account skips the calling device; unknown users answer UNKNOWN_USER",
    async run(ctx) {
      const a = await ctx.newDevice();
      const b = await ctx.newDevice(a.user);
      const claim = expectOk(await ctx.http.call('claimKeyPackages', { token: a.token, body: { users: [a.user.userId] } }), 'claim') as Claim;
      check(!claim.keyPackages.some((k) => k.deviceId === a.deviceId), 'claim returned a package of the calling device');
      check(claim.keyPackages.some((k) => k.deviceId === b.deviceId), 'claim missed the other own device');
      const unknown = `@${randomUsername()}:${ctx.info.serverName}`;
      expectHttpError(await ctx.http.call('claimKeyPackages', { token: a.token, body: { users: [unknown] } }), 'UNKNOWN_USER', 'claim of an unknown user');
      expectHttpError(await ctx.http.call('claimKeyPackages', { token: a.token, body: { users: [] } }), 'BAD_REQUEST', 'claim of nobody');
    },
  },
  {
    rule: '[KP-5]',
    title: 'parallel claims never return the same one-time key package',
    async run(ctx) {
      const target = await ctx.newDevice(undefined, 8);
      const claimers = await Promise.all(Array.from({ length: 3 }, () => ctx.newDevice(undefined, 0)));
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) => ctx.http.call('claimKeyPackages', { token: claimers[i % 3]!.token, body: { users: [target.user.userId] } })),
      );
      const oneTime: string[] = [];
      let lastResort = 0;
      for (const c of claims) {
        const data = expectOk(c, 'parallel claim') as Claim;
        const kp = data.keyPackages.find((k) => k.deviceId === target.deviceId);
        check(kp, 'a claim returned nothing for a device with a last resort');
        if (kp.lastResort) lastResort++;
        else oneTime.push(kp.keyPackage);
      }
      check(new Set(oneTime).size === oneTime.length, 'the same one-time key package was handed out twice');
      check(oneTime.length === 8 && lastResort === 4, `${oneTime.length} one-time and ${lastResort} last-resort answers, expected 8 and 4`);
    },
  },
  {
    rule: '[KP-2]',
    title: 'an upload over maxKeyPackagesPerUpload answers BAD_REQUEST and stores nothing',
    async run(ctx) {
      const device = await ctx.newDevice(undefined, 0);
      const n = ctx.info.limits.maxKeyPackagesPerUpload + 1;
      const body = { keyPackages: Array.from({ length: n }, (_, i) => `AAEC${i.toString(36)}`) };
      expectHttpError(await ctx.http.call('uploadKeyPackages', { token: device.token, body }), 'BAD_REQUEST', `upload of ${n}`);
      const count = expectOk(await ctx.http.call('keyPackageCount', { token: device.token }), 'keyPackageCount') as { count: number };
      check(count.count === 0, `count ${count.count} after a refused upload`);
    },
  },
];
