import { z } from 'zod';
import { Secret } from './secret.ts';

/** Where attachment blobs go: CHARLA_BLOB_STORE and the CHARLA_S3_* settings. */
export type BlobStoreConfig =
  | { readonly kind: 'dir' }
  | {
      readonly kind: 's3';
      /** http(s) origin (and optional base path) of the S3 API. */
      readonly endpoint: string;
      readonly region: string;
      readonly bucket: string;
      /** Prepended to each blob id to form the object key. */
      readonly prefix: string;
      /** <endpoint>/<bucket>/<key> instead of <bucket>.<endpoint host>/<key>. */
      readonly forcePathStyle: boolean;
      readonly accessKeyId: string;
      readonly secretAccessKey: Secret;
    };

function setting(name: string, check: (v: string) => boolean, what: string, allowEmpty = true) {
  return z.string().transform((raw, ctx) => {
    const v = raw.trim();
    if ((v !== '' || !allowEmpty) && !check(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be ${what}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return v;
  });
}

function isEndpoint(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** Merged into loadConfig's schemas; keyed by environment variable like the others. */
export const BLOB_STORE_SCHEMAS = {
  CHARLA_BLOB_STORE: z.string().transform((raw, ctx) => {
    const v = raw.trim().toLowerCase();
    if (v !== 'dir' && v !== 's3') {
      ctx.addIssue({ code: 'custom', message: `CHARLA_BLOB_STORE must be one of dir, s3, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return v;
  }),
  CHARLA_S3_ENDPOINT: setting('CHARLA_S3_ENDPOINT', isEndpoint, 'an http(s) URL like https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:9000'),
  CHARLA_S3_REGION: setting('CHARLA_S3_REGION', (v) => /^[a-z0-9-]{1,64}$/.test(v), 'a region name like us-east-1', false),
  CHARLA_S3_BUCKET: setting('CHARLA_S3_BUCKET', (v) => /^[A-Za-z0-9._-]{3,255}$/.test(v), 'a bucket name (letters, digits, ".", "-", "_")'),
  CHARLA_S3_PREFIX: setting('CHARLA_S3_PREFIX', (v) => !v.startsWith('/') && v.length <= 512, 'a key prefix not starting with "/", like charla/'),
  CHARLA_S3_ACCESS_KEY_ID: setting('CHARLA_S3_ACCESS_KEY_ID', (v) => /^[\x21-\x7e]+$/.test(v), 'printable ASCII'),
  // Never echoes the value: a mistake here must not print the secret.
  CHARLA_S3_SECRET_ACCESS_KEY: z.string().transform((raw) => new Secret(raw.trim())),
  CHARLA_S3_FORCE_PATH_STYLE: z.string().transform((raw, ctx) => {
    const v = raw.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') {
      ctx.addIssue({ code: 'custom', message: `CHARLA_S3_FORCE_PATH_STYLE must be true or false, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return v === 'true';
  }),
} as const;

type Key = keyof typeof BLOB_STORE_SCHEMAS;
/** CHARLA_S3_ENDPOINT has no default (absent unless set); the others always have a value. */
type Values = { [K in Exclude<Key, 'CHARLA_S3_ENDPOINT'>]: z.output<(typeof BLOB_STORE_SCHEMAS)[K]> } & { CHARLA_S3_ENDPOINT?: string };

/** Builds the blob store settings; a missing required S3 setting is pushed to problems, naming its variable. */
export function blobStoreConfig(v: Values, problems: string[]): BlobStoreConfig {
  if (v.CHARLA_BLOB_STORE === 'dir') return Object.freeze({ kind: 'dir' });
  const required = { CHARLA_S3_BUCKET: v.CHARLA_S3_BUCKET, CHARLA_S3_ACCESS_KEY_ID: v.CHARLA_S3_ACCESS_KEY_ID, CHARLA_S3_SECRET_ACCESS_KEY: v.CHARLA_S3_SECRET_ACCESS_KEY.reveal() };
  for (const [name, value] of Object.entries(required)) {
    if (value === '') problems.push(`${name} is required when CHARLA_BLOB_STORE=s3`);
  }
  const region = v.CHARLA_S3_REGION;
  return Object.freeze({
    kind: 's3',
    endpoint: (v.CHARLA_S3_ENDPOINT ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, ''),
    region,
    bucket: v.CHARLA_S3_BUCKET,
    prefix: v.CHARLA_S3_PREFIX,
    forcePathStyle: v.CHARLA_S3_FORCE_PATH_STYLE,
    accessKeyId: v.CHARLA_S3_ACCESS_KEY_ID,
    secretAccessKey: v.CHARLA_S3_SECRET_ACCESS_KEY,
  });
}
