import { bytesEqual, randomId } from '@charla/protocol';
import type { Case } from '../case.ts';
import { randomBytes } from '../harness/context.ts';
import { CaseSkipped, check } from '../harness/failures.ts';
import { expectHttpError, expectOk } from '../harness/http-client.ts';

export const blobCases: readonly Case[] = [
  {
    rule: '[BLOB-2]',
    title: 'an uploaded blob downloads byte for byte, by any device; unknown ids answer UNKNOWN_BLOB',
    async run(ctx) {
      const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const bytes = randomBytes(70_001);
      const up = expectOk(await ctx.http.call('uploadBlob', { token: ana.token, body: bytes }), 'uploadBlob') as { blobId: string; size: number };
      check(up.size === bytes.length, `size ${up.size}, uploaded ${bytes.length}`);
      const down = expectOk(await ctx.http.call('downloadBlob', { token: bob.token, params: { blobId: up.blobId } }), 'downloadBlob') as Uint8Array;
      check(bytesEqual(down, bytes), 'downloaded bytes differ');
      expectHttpError(await ctx.http.call('downloadBlob', { token: bob.token, params: { blobId: randomId() } }), 'UNKNOWN_BLOB', 'unknown blob');
      expectHttpError(await ctx.http.call('downloadBlob', { params: { blobId: up.blobId } }), 'UNAUTHENTICATED', 'download without token');
      expectHttpError(await ctx.http.call('uploadBlob', { body: bytes }), 'UNAUTHENTICATED', 'upload without token');
    },
  },
  {
    rule: '[BLOB-1]',
    title: 'a blob over maxBlobBytes answers BLOB_TOO_LARGE',
    timeoutMs: 60_000,
    async run(ctx) {
      const max = ctx.info.limits.maxBlobBytes;
      // Only cheap to check where the limit is small; a 100 MB upload is not a fair test of loopback.
      if (max > 16 * 1024 * 1024) throw new CaseSkipped(`maxBlobBytes is ${max}; the check runs only where it is at most 16 MiB`);
      const device = await ctx.newDevice();
      expectHttpError(await ctx.http.call('uploadBlob', { token: device.token, body: new Uint8Array(max + 1) }), 'BLOB_TOO_LARGE', 'oversized blob');
    },
  },
];
