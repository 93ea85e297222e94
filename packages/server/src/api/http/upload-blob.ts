import { PassThrough } from 'node:stream';
import { route } from './types.ts';

export const uploadBlob = route({
  name: 'uploadBlob',
  async handle({ services, req }) {
    const header = req.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    // Through a PassThrough so that stopping early unpipes instead of destroying the request, and
    // the client still gets its BLOB_TOO_LARGE answer.
    const body = new PassThrough();
    req.pipe(body);
    try {
      return await services.blobs.upload(body, Number.isSafeInteger(declared) ? declared : undefined);
    } finally {
      req.unpipe(body);
    }
  },
});
