import { isIP, isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS, USERNAME_PATTERN, type Limits } from '@charla/protocol';
import { CONFIG_FIELDS } from './fields.ts';
import { Secret } from './secret.ts';
import { BLOB_STORE_SCHEMAS, blobStoreConfig, type BlobStoreConfig } from './blob-store-config.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated, frozen configuration. Built only by loadConfig (or by spreading one it returned). */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** null: http://localhost:<actual port>, decided once listening (so port 0 works). */
  readonly publicUrl: string | null;
  /** null: host[:port] of the public URL. */
  readonly serverName: string | null;
  readonly registration: 'open' | 'invite';
  readonly admins: readonly string[];
  readonly sessionTtlSeconds: number;
  readonly retentionDays: number;
  readonly logLevel: LogLevel;
  readonly limits: Readonly<Limits>;
  readonly loginFailuresPerMinute: number;
  /** Take the client address from X-Forwarded-For (set by a trusted reverse proxy). */
  readonly trustProxy: boolean;
  readonly argon2MemoryKib: number;
  readonly sqliteSynchronous: 'full' | 'normal';
  readonly sweepIntervalMs: number;
  readonly blobStore: BlobStoreConfig;
  /** null: SQLite in dataDir. */
  readonly databaseUrl: string | null;
  readonly databasePoolSize: number;
  /** null: the in-process bus. */
  readonly natsUrl: string | null;
  readonly natsPrefix: string;
  readonly rooms: RoomsConfig;
}

/** Rooms and their media ([ROOM-*]). */
export interface RoomsConfig {
  readonly ttlMs: number;
  readonly perMinute: number;
  readonly resumeGraceMs: number;
  readonly framesPerSecond: number;
  readonly frameBurst: number;
  /** Run an SFU in this process. */
  readonly localSfu: boolean;
  /** null: gather on every interface. */
  readonly sfuInterface: string | null;
  readonly sfuAnnouncedAddresses: readonly string[];
  /** Control URLs of remote `charla sfu` processes. */
  readonly sfuUrls: readonly string[];
  /** Shared with the remote SFUs; empty when there are none. */
  readonly sfuSecret: Secret;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

const SERVER_NAME = /^[a-z0-9.-]+(?::[0-9]{1,5})?$/;

function integer(name: string, min: number, max: number) {
  return z.string().transform((raw, ctx) => {
    const n = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an integer ${min}–${max}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return n;
  });
}

function positiveNumber(name: string) {
  return z.string().transform((raw, ctx) => {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a positive number, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return n;
  });
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return z.string().transform((raw, ctx) => {
    const v = raw.trim().toLowerCase();
    if (!(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return v as T;
  });
}

function text(name: string, check: (v: string) => boolean, what: string) {
  return z.string().transform((raw, ctx) => {
    const v = raw.trim();
    if (!check(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be ${what}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return v;
  });
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search && !u.hash;
  } catch {
    return false;
  }
}

function hasScheme(v: string, schemes: readonly string[]): boolean {
  try {
    const u = new URL(v);
    return schemes.includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Like text(), but the value may hold a password, so the message never repeats it. */
function secretUrl(name: string, schemes: readonly string[], example: string) {
  return z.string().transform((raw, ctx) => {
    const v = raw.trim();
    if (!hasScheme(v, schemes)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a ${schemes[0]}// URL with a host, like ${example}` });
      return z.NEVER;
    }
    return v;
  });
}

const MAX_INT = 2 ** 31 - 1;
const schemas = {
  CHARLA_PORT: integer('CHARLA_PORT', 0, 65535),
  CHARLA_HOST: text('CHARLA_HOST', (v) => v.length > 0, 'a host name or address'),
  CHARLA_DATA_DIR: text('CHARLA_DATA_DIR', (v) => v.length > 0, 'a directory path'),
  CHARLA_PUBLIC_URL: text('CHARLA_PUBLIC_URL', isHttpUrl, 'an http(s) URL without path, like https://chat.example.org'),
  CHARLA_SERVER_NAME: text('CHARLA_SERVER_NAME', (v) => SERVER_NAME.test(v), 'a lowercase host[:port], like example.org'),
  CHARLA_REGISTRATION: oneOf('CHARLA_REGISTRATION', ['open', 'invite'] as const),
  CHARLA_ADMINS: text('CHARLA_ADMINS', (v) => v === '' || v.split(',').every((u) => USERNAME_PATTERN.test(u.trim().toLowerCase())), 'a comma-separated list of usernames'),
  CHARLA_SESSION_TTL: integer('CHARLA_SESSION_TTL', 1, 10 * 365 * 86400),
  CHARLA_RETENTION_DAYS: integer('CHARLA_RETENTION_DAYS', 1, 36500),
  CHARLA_LOG_LEVEL: oneOf('CHARLA_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  CHARLA_MAX_FRAME_BYTES: integer('CHARLA_MAX_FRAME_BYTES', 1024, 64 * 1024 * 1024),
  CHARLA_MAX_MESSAGE_BYTES: integer('CHARLA_MAX_MESSAGE_BYTES', 64, 64 * 1024 * 1024),
  CHARLA_MAX_BLOB_BYTES: integer('CHARLA_MAX_BLOB_BYTES', 1, Number.MAX_SAFE_INTEGER),
  CHARLA_FRAMES_PER_SECOND: positiveNumber('CHARLA_FRAMES_PER_SECOND'),
  CHARLA_FRAME_BURST: integer('CHARLA_FRAME_BURST', 1, MAX_INT),
  CHARLA_LOGIN_FAILURES_PER_MINUTE: integer('CHARLA_LOGIN_FAILURES_PER_MINUTE', 1, MAX_INT),
  CHARLA_TRUST_PROXY: oneOf('CHARLA_TRUST_PROXY', ['false', 'true'] as const),
  CHARLA_ARGON2_MEMORY_KIB: integer('CHARLA_ARGON2_MEMORY_KIB', 8, 4 * 1024 * 1024),
  CHARLA_SQLITE_SYNCHRONOUS: oneOf('CHARLA_SQLITE_SYNCHRONOUS', ['full', 'normal'] as const),
  CHARLA_SWEEP_INTERVAL_MS: integer('CHARLA_SWEEP_INTERVAL_MS', 10, MAX_INT),
  CHARLA_DATABASE_URL: secretUrl('CHARLA_DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://charla@db.internal:5432/charla'),
  CHARLA_DATABASE_POOL_SIZE: integer('CHARLA_DATABASE_POOL_SIZE', 1, 1000),
  CHARLA_NATS_URL: secretUrl('CHARLA_NATS_URL', ['nats:'], 'nats://nats.internal:4222'),
  CHARLA_NATS_PREFIX: text('CHARLA_NATS_PREFIX', (v) => /^[A-Za-z0-9_-]{1,64}$/.test(v), 'letters, digits, - and _'),
  CHARLA_ROOM_TTL_HOURS: integer('CHARLA_ROOM_TTL_HOURS', 1, 24 * 365),
  CHARLA_ROOMS_PER_MINUTE: integer('CHARLA_ROOMS_PER_MINUTE', 1, MAX_INT),
  CHARLA_ROOM_RESUME_GRACE_MS: integer('CHARLA_ROOM_RESUME_GRACE_MS', 0, 3_600_000),
  CHARLA_ROOM_FRAMES_PER_SECOND: positiveNumber('CHARLA_ROOM_FRAMES_PER_SECOND'),
  CHARLA_ROOM_FRAME_BURST: integer('CHARLA_ROOM_FRAME_BURST', 1, MAX_INT),
  CHARLA_SFU_LOCAL: oneOf('CHARLA_SFU_LOCAL', ['true', 'false'] as const),
  CHARLA_SFU_INTERFACE: text('CHARLA_SFU_INTERFACE', (v) => isIPv4(v), 'an IPv4 address'),
  CHARLA_SFU_ANNOUNCED_ADDRESSES: text('CHARLA_SFU_ANNOUNCED_ADDRESSES', (v) => v === '' || v.split(',').every((a) => isIP(a.trim()) !== 0), 'a comma-separated list of IP addresses'),
  CHARLA_SFU_URLS: text('CHARLA_SFU_URLS', (v) => v === '' || v.split(',').every((u) => hasScheme(u.trim(), ['ws:', 'wss:'])), 'a comma-separated list of ws:// or wss:// URLs'),
  // The value is a secret: the message never repeats it.
  CHARLA_SFU_SECRET: z.string().transform((raw, ctx) => {
    const v = raw.trim();
    if (v !== '' && v.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'CHARLA_SFU_SECRET must be at least 16 characters' });
      return z.NEVER;
    }
    return new Secret(v);
  }),
  ...BLOB_STORE_SCHEMAS,
} as const;
type Key = keyof typeof schemas;
type Values = { [K in Key]: z.output<(typeof schemas)[K]> };

/** Reads `--flag value` / `--flag=value` arguments into environment-variable names. */
function flagsToEnv(argv: readonly string[], problems: string[]): Record<string, string> {
  const byFlag = new Map(CONFIG_FIELDS.map((f) => [f.flag, f.env]));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const env = byFlag.get(flag);
    if (env === undefined) {
      problems.push(`unknown argument ${JSON.stringify(arg)} (flags: ${[...byFlag.keys()].join(' ')})`);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) problems.push(`${flag} needs a value`);
    else out[env] = value;
  }
  return out;
}

/**
 * Builds the configuration from the environment and command-line flags (flags win). Throws a
 * ConfigError listing every problem, each naming its variable; never exits the process.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): ServerConfig {
  const problems: string[] = [];
  const fromFlags = flagsToEnv(argv, problems);
  const values: Partial<Record<Key, unknown>> = {};
  for (const f of CONFIG_FIELDS) {
    const key = f.env as Key;
    const raw = fromFlags[key] ?? env[key] ?? f.default;
    if (raw === null || raw === undefined || (raw === '' && f.default === null)) continue;
    const parsed = schemas[key].safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => i.message));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const v = values as Values & Partial<Pick<Values, 'CHARLA_PUBLIC_URL' | 'CHARLA_SERVER_NAME' | 'CHARLA_DATABASE_URL' | 'CHARLA_NATS_URL' | 'CHARLA_SFU_INTERFACE'>>;
  if (v.CHARLA_MAX_MESSAGE_BYTES >= v.CHARLA_MAX_FRAME_BYTES) {
    throw new ConfigError([`CHARLA_MAX_MESSAGE_BYTES (${v.CHARLA_MAX_MESSAGE_BYTES}) must be smaller than CHARLA_MAX_FRAME_BYTES (${v.CHARLA_MAX_FRAME_BYTES})`]);
  }
  if (v.CHARLA_SFU_URLS !== '' && v.CHARLA_SFU_SECRET.reveal() === '') problems.push('CHARLA_SFU_SECRET is required with CHARLA_SFU_URLS');
  const blobStore = blobStoreConfig(v, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    maxFrameBytes: v.CHARLA_MAX_FRAME_BYTES,
    maxMessageBytes: v.CHARLA_MAX_MESSAGE_BYTES,
    maxBlobBytes: v.CHARLA_MAX_BLOB_BYTES,
    framesPerSecond: v.CHARLA_FRAMES_PER_SECOND,
    frameBurst: v.CHARLA_FRAME_BURST,
  };
  return Object.freeze({
    port: v.CHARLA_PORT,
    host: v.CHARLA_HOST,
    dataDir: resolve(v.CHARLA_DATA_DIR),
    publicUrl: v.CHARLA_PUBLIC_URL?.replace(/\/$/, '') ?? null,
    serverName: v.CHARLA_SERVER_NAME ?? null,
    registration: v.CHARLA_REGISTRATION,
    admins: Object.freeze(v.CHARLA_ADMINS === '' ? [] : v.CHARLA_ADMINS.split(',').map((u) => u.trim().toLowerCase())),
    sessionTtlSeconds: v.CHARLA_SESSION_TTL,
    retentionDays: v.CHARLA_RETENTION_DAYS,
    logLevel: v.CHARLA_LOG_LEVEL,
    limits: Object.freeze(limits),
    loginFailuresPerMinute: v.CHARLA_LOGIN_FAILURES_PER_MINUTE,
    trustProxy: v.CHARLA_TRUST_PROXY === 'true',
    argon2MemoryKib: v.CHARLA_ARGON2_MEMORY_KIB,
    sqliteSynchronous: v.CHARLA_SQLITE_SYNCHRONOUS,
    sweepIntervalMs: v.CHARLA_SWEEP_INTERVAL_MS,
    blobStore,
    databaseUrl: v.CHARLA_DATABASE_URL ?? null,
    databasePoolSize: v.CHARLA_DATABASE_POOL_SIZE,
    natsUrl: v.CHARLA_NATS_URL ?? null,
    natsPrefix: v.CHARLA_NATS_PREFIX,
    rooms: Object.freeze({
      ttlMs: v.CHARLA_ROOM_TTL_HOURS * 3_600_000,
      perMinute: v.CHARLA_ROOMS_PER_MINUTE,
      resumeGraceMs: v.CHARLA_ROOM_RESUME_GRACE_MS,
      framesPerSecond: v.CHARLA_ROOM_FRAMES_PER_SECOND,
      frameBurst: v.CHARLA_ROOM_FRAME_BURST,
      localSfu: v.CHARLA_SFU_LOCAL === 'true',
      sfuInterface: v.CHARLA_SFU_INTERFACE ?? null,
      sfuUrls: Object.freeze(v.CHARLA_SFU_URLS === '' ? [] : v.CHARLA_SFU_URLS.split(',').map((u) => u.trim())),
      sfuSecret: v.CHARLA_SFU_SECRET,
      sfuAnnouncedAddresses: Object.freeze(v.CHARLA_SFU_ANNOUNCED_ADDRESSES === '' ? [] : v.CHARLA_SFU_ANNOUNCED_ADDRESSES.split(',').map((a) => a.trim())),
    }),
  });
}
