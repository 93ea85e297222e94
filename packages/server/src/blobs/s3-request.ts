import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An idle S3 connection (no bytes either way) is given up after this long. */
const IDLE_TIMEOUT_MS = 120_000;

/**
 * One HTTP request to S3, the body streamed with backpressure, resolving at the response headers.
 * node:http rather than fetch: fetch (undici, Node 24) keeps every chunk of a streamed request body
 * referenced until the request ends, so each upload would hold its whole blob in memory (the blob
 * store contract's memory test caught it).
 */
export function s3Request(url: URL, method: string, headers: Record<string, string>, body?: Readable): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`S3 ${method} idle for ${IDLE_TIMEOUT_MS} ms`)));
    req.once('response', resolve);
    req.once('error', reject);
    if (body === undefined) req.end();
    else pipeline(body, req).catch((error: unknown) => req.destroy(error instanceof Error ? error : new Error(String(error))));
  });
}

/** Reads a small response body (an S3 error document), at most 64 KiB. */
export async function readSmall(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    text += String(chunk);
    if (text.length > 65_536) {
      res.destroy();
      break;
    }
  }
  return text;
}
