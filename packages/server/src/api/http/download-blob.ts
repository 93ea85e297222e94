import { pipeline } from 'node:stream/promises';
import { RESPONDED, route } from './types.ts';

export const downloadBlob = route({
  name: 'downloadBlob',
  async handle({ services, params, res }) {
    const blob = await services.blobs.download(params.blobId ?? '');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.size), 'cache-control': 'private, immutable' });
    await pipeline(blob.stream, res);
    return RESPONDED;
  },
});
