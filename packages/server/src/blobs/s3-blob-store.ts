import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { BlobId, randomId } from '@charla/protocol';
import type { Secret } from '../config/secret.ts';
import { BlobTooLargeError, type BlobStore } from './blob-store.ts';
import { ByteLimit } from './byte-limit.ts';
import { readSmall, s3Request } from './s3-request.ts';
import { EMPTY_SHA256, UNSIGNED_PAYLOAD, encodeRfc3986, signV4 } from './sigv4.ts';

export interface S3BlobStoreOptions {
  /** Origin (and optional base path) of the S3 API, like https://s3.eu-central-1.amazonaws.com. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Prepended to the blob id to form the object key. */
  readonly prefix: string;
  /** <endpoint>/<bucket>/<key> (self-hosted servers) instead of <bucket>.<endpoint host>/<key> (AWS). */
  readonly forcePathStyle: boolean;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret;
  /** Where uploads of unknown length wait until their length is known (default: the OS temp dir). */
  readonly spoolDir?: string;
}

/** An S3 answer other than success; carries S3's error code, never the request's credentials. */
export class S3RequestError extends Error {
  override name = 'S3RequestError';
  readonly status: number;
  readonly code: string;
  constructor(method: string, key: string, status: number, code: string) {
    super(`S3 ${method} ${key}: HTTP ${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

/** The URL of one object, in path style or virtual-hosted style. */
export function objectUrl(o: Pick<S3BlobStoreOptions, 'endpoint' | 'bucket' | 'forcePathStyle'>, key: string): URL {
  const base = new URL(o.endpoint);
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = key.split('/').map(encodeRfc3986).join('/');
  return o.forcePathStyle
    ? new URL(`${base.origin}${basePath}/${encodeRfc3986(o.bucket)}/${path}`)
    : new URL(`${base.protocol}//${o.bucket}.${base.host}${basePath}/${path}`);
}

/**
 * Blobs as objects in an S3-compatible bucket, over HTTP with Signature V4. Bodies stream both
 * ways; an upload whose length is not declared is spooled to a temp file first, because a
 * PutObject needs its length up front (memory stays bounded either way).
 */
export class S3BlobStore implements BlobStore {
  readonly #o: S3BlobStoreOptions;
  readonly #spoolDir: string;

  constructor(options: S3BlobStoreOptions) {
    this.#o = options;
    this.#spoolDir = options.spoolDir ?? tmpdir();
  }

  #key(blobId: string): string {
    if (!BlobId.safeParse(blobId).success) throw new TypeError('invalid blob id');
    return `${this.#o.prefix}${blobId}`;
  }

  async #send(method: string, key: string, body?: { stream: Readable; length: number }): Promise<IncomingMessage> {
    const url = objectUrl(this.#o, key);
    const headers = signV4(
      { method, url, headers: {}, payloadHash: body ? UNSIGNED_PAYLOAD : EMPTY_SHA256, now: new Date() },
      { accessKeyId: this.#o.accessKeyId, secretAccessKey: this.#o.secretAccessKey.reveal(), region: this.#o.region, service: 's3' },
    );
    if (body) headers['content-length'] = String(body.length);
    return s3Request(url, method, headers, body?.stream);
  }

  async #fail(res: IncomingMessage, method: string, key: string): Promise<S3RequestError> {
    const text = await readSmall(res).catch(() => '');
    return new S3RequestError(method, key, res.statusCode ?? 0, /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1] ?? 'unknown');
  }

  async put(blobId: string, body: Readable, maxBytes: number, length?: number): Promise<{ size: number }> {
    const key = this.#key(blobId);
    if (length === undefined) return { size: await this.#putSpooled(key, body, maxBytes) };
    if (length > maxBytes) {
      body.destroy();
      throw new BlobTooLargeError(`blob larger than ${maxBytes} bytes`);
    }
    await this.#putExact(key, body, length);
    return { size: length };
  }

  /** One PutObject streamed from the body, which must have exactly `length` bytes. */
  async #putExact(key: string, body: Readable, length: number): Promise<void> {
    // Exact, so that a body of another length fails here rather than leaving S3 waiting for bytes.
    const limit = new ByteLimit(length, { exact: true });
    const piped = new Promise<unknown>((resolve) => pipeline(body, limit, resolve));
    try {
      const res = await this.#send('PUT', key, { stream: limit, length });
      if (!ok(res)) throw await this.#fail(res, 'PUT', key);
      res.resume();
      // S3 may answer once it has `length` bytes; the body must also have ended there.
      const bodyError = await piped;
      if (bodyError) throw bodyError;
    } catch (error) {
      limit.destroy();
      // AWS never keeps a cut-off PutObject; some self-hosted servers keep what arrived.
      await this.delete(key.slice(this.#o.prefix.length)).catch(() => undefined);
      if (limit.exceeded) throw new Error(`blob body longer than the declared ${length} bytes`, { cause: error });
      throw (await Promise.race([piped, undefined])) ?? error;
    }
  }

  async #putSpooled(key: string, body: Readable, maxBytes: number): Promise<number> {
    await mkdir(this.#spoolDir, { recursive: true });
    const spool = join(this.#spoolDir, `charla-blob-${randomId(12)}`);
    const limit = new ByteLimit(maxBytes);
    try {
      await pipelineAsync(body, limit, createWriteStream(spool, { flags: 'wx', mode: 0o600 }));
      await this.#putExact(key, createReadStream(spool), limit.bytes);
      return limit.bytes;
    } finally {
      await rm(spool, { force: true });
    }
  }

  async delete(blobId: string): Promise<void> {
    const key = this.#key(blobId);
    const res = await this.#send('DELETE', key);
    // 404: some servers answer so for a missing key; deleting what is not there is fine.
    if (!ok(res) && res.statusCode !== 404) throw await this.#fail(res, 'DELETE', key);
    res.resume();
  }

  async get(blobId: string): Promise<{ size: number; stream: Readable } | undefined> {
    if (!BlobId.safeParse(blobId).success) return undefined;
    const key = this.#key(blobId);
    const res = await this.#send('GET', key);
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    if (!ok(res)) throw await this.#fail(res, 'GET', key);
    const size = Number(res.headers['content-length']);
    if (!Number.isSafeInteger(size)) {
      res.destroy();
      throw new S3RequestError('GET', key, res.statusCode ?? 0, 'missing Content-Length');
    }
    return { size, stream: res };
  }

  async size(blobId: string): Promise<number | undefined> {
    if (!BlobId.safeParse(blobId).success) return undefined;
    const key = this.#key(blobId);
    const res = await this.#send('HEAD', key);
    res.resume();
    if (res.statusCode === 404) return undefined;
    if (!ok(res)) throw new S3RequestError('HEAD', key, res.statusCode ?? 0, 'unknown');
    return Number(res.headers['content-length']);
  }
}

function ok(res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 200 && status < 300;
}
