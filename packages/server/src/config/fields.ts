import { DEFAULT_LIMITS } from '@charla/protocol';

/**
 * Every setting of the server: its environment variable, its `--flag`, its default and what it
 * means. This list is the documentation (the README table and the example config are generated
 * from it) and the input of loadConfig.
 */
export interface ConfigField {
  /** Environment variable. The flag is its kebab-case tail: CHARLA_DATA_DIR → --data-dir. */
  readonly env: string;
  readonly flag: string;
  /** The default as written in the environment; null when computed (described in `description`). */
  readonly default: string | null;
  readonly description: string;
}

function field(env: string, def: string | null, description: string): ConfigField {
  const flag = `--${env.replace(/^CHARLA_/, '').toLowerCase().replaceAll('_', '-')}`;
  return Object.freeze({ env, flag, default: def, description });
}

export const CONFIG_FIELDS: readonly ConfigField[] = Object.freeze([
  field('CHARLA_PORT', '8080', 'TCP port to listen on (0 picks a free port).'),
  field('CHARLA_HOST', '127.0.0.1', 'Address to listen on. Loopback by default so a fresh install is not exposed; use 0.0.0.0 behind a reverse proxy or to serve the network.'),
  field('CHARLA_DATA_DIR', './data', 'Directory for the SQLite database and blobs.'),
  field('CHARLA_PUBLIC_URL', null, 'URL clients reach this server at. Default: http://localhost:<port>.'),
  field('CHARLA_SERVER_NAME', null, 'Server part of user ids (@user:server). Default: host[:port] of the public URL. Changing it changes every user id.'),
  field('CHARLA_REGISTRATION', 'open', '`open`, or `invite`: registering needs a single-use token from an admin (admins may register without one).'),
  field('CHARLA_ADMINS', '', 'Comma-separated usernames allowed to create invite tokens.'),
  field('CHARLA_SESSION_TTL', '2592000', 'Lifetime of a session token in seconds (default 30 days).'),
  field('CHARLA_RETENTION_DAYS', '30', 'Stored messages older than this are deleted even if not every device fetched them.'),
  field('CHARLA_LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent.'),
  field('CHARLA_MAX_FRAME_BYTES', String(DEFAULT_LIMITS.maxFrameBytes), 'Largest WebSocket frame (header and body).'),
  field('CHARLA_MAX_MESSAGE_BYTES', String(DEFAULT_LIMITS.maxMessageBytes), 'Largest MLS message (commit, welcome, application message).'),
  field('CHARLA_MAX_BLOB_BYTES', String(DEFAULT_LIMITS.maxBlobBytes), 'Largest attachment blob.'),
  field('CHARLA_FRAMES_PER_SECOND', String(DEFAULT_LIMITS.framesPerSecond), 'Sustained WebSocket frames per second per device.'),
  field('CHARLA_FRAME_BURST', String(DEFAULT_LIMITS.frameBurst), 'Burst of WebSocket frames per device above the sustained rate.'),
  field('CHARLA_LOGIN_FAILURES_PER_MINUTE', '10', 'Failed logins per username and per client address per minute before RATE_LIMITED.'),
  field('CHARLA_TRUST_PROXY', 'false', '`true` when Charla is reachable only through your reverse proxy: the client address (for rate limits) is then the last address in X-Forwarded-For, the one the proxy appended. Leave `false` when clients can reach Charla directly, or they could pick their own address.'),
  field('CHARLA_ARGON2_MEMORY_KIB', '19456', 'Memory cost (KiB) of the argon2id hash of each authKey (OWASP: 19456 with 2 passes).'),
  field('CHARLA_SQLITE_SYNCHRONOUS', 'full', '`full` (an acknowledged write survives power loss) or `normal` (survives a crash of the process, faster).'),
  field('CHARLA_DATABASE_URL', null, 'PostgreSQL connection URL (`postgres://user:password@host:5432/db`): the store for several server nodes. Unset: SQLite in `CHARLA_DATA_DIR`. Migrations run at start.'),
  field('CHARLA_DATABASE_POOL_SIZE', '10', 'PostgreSQL connections per node.'),
  field('CHARLA_NATS_URL', null, 'NATS URL (`nats://host:4222`, JetStream enabled): the bus between server nodes. Unset: in-process bus (one node).'),
  field('CHARLA_NATS_PREFIX', 'charla', 'NATS subject prefix (and control stream name); deployments sharing one NATS use different ones.'),
  field('CHARLA_SWEEP_INTERVAL_MS', '60000', 'How often expired messages, old log entries and expired sessions are deleted.'),
  field('CHARLA_BLOB_STORE', 'dir', '`dir` (attachment blobs as files under CHARLA_DATA_DIR/blobs) or `s3` (an S3-compatible object store, set by the CHARLA_S3_* settings).'),
  field('CHARLA_S3_ENDPOINT', null, 'S3 API endpoint, like `http://127.0.0.1:9000` for a self-hosted server. Default: `https://s3.<region>.amazonaws.com`.'),
  field('CHARLA_S3_REGION', 'us-east-1', 'Region used in request signatures (self-hosted servers usually accept us-east-1).'),
  field('CHARLA_S3_BUCKET', '', 'Bucket for attachment blobs; must exist. Required with CHARLA_BLOB_STORE=s3.'),
  field('CHARLA_S3_PREFIX', '', 'Prepended to each blob id to form its object key, like `charla/blobs/`.'),
  field('CHARLA_S3_ACCESS_KEY_ID', '', 'Access key id. Required with CHARLA_BLOB_STORE=s3.'),
  field('CHARLA_S3_SECRET_ACCESS_KEY', '', 'Secret access key. Required with CHARLA_BLOB_STORE=s3. Never logged or printed; set it in the environment (a file only the service can read), not as a flag.'),
  field('CHARLA_S3_FORCE_PATH_STYLE', 'false', '`true`: address objects as `<endpoint>/<bucket>/<key>` (most self-hosted servers); `false`: `<bucket>.<endpoint host>/<key>` (AWS).'),
  field('CHARLA_ROOM_TTL_HOURS', '24', 'An unused room (`POST /v1/rooms`) is forgotten this many hours after it was created or last used.'),
  field('CHARLA_ROOMS_PER_MINUTE', '10', 'Rooms one device may create per minute before RATE_LIMITED.'),
  field('CHARLA_ROOM_RESUME_GRACE_MS', '20000', 'How long a room participant whose connection dropped keeps its place (others see nothing) and may resume with its resumeToken.'),
  field('CHARLA_ROOM_FRAMES_PER_SECOND', '20', 'Sustained room WebSocket frames per second per socket.'),
  field('CHARLA_ROOM_FRAME_BURST', '60', 'Burst of room WebSocket frames per socket above the sustained rate.'),
  field('CHARLA_SFU_LOCAL', 'true', '`true`: run the media SFU inside the server process. `false`: no in-process SFU (rooms then carry signalling and chat but no media unless remote SFUs are configured).'),
  field('CHARLA_SFU_INTERFACE', null, 'IPv4 address the in-process SFU gathers ICE candidates on (werift `iceInterfaceAddresses.udp4`), like `10.0.0.5` or `127.0.0.1`. Default: every interface.'),
  field('CHARLA_SFU_URLS', '', 'Comma-separated control URLs of `charla sfu` processes (`ws://10.0.0.7:7881/v1/sfu/control`). Each new room goes to the least loaded SFU, the in-process one included when CHARLA_SFU_LOCAL is true; a lost connection is retried.'),
  field('CHARLA_SFU_SECRET', '', 'The shared secret of the `charla sfu` processes (at least 16 characters; the same value they are started with). Required with CHARLA_SFU_URLS. Never logged; set it in the environment, not as a flag.'),
  field('CHARLA_SFU_ANNOUNCED_ADDRESSES', '', 'Comma-separated extra addresses the in-process SFU offers as host candidates (werift `iceAdditionalHostAddresses`): the public address behind NAT, or `127.0.0.1` for same-host tests.'),
]);

/** The README table: one row per setting. */
export function configMarkdownTable(): string {
  const rows = CONFIG_FIELDS.map((f) => `| \`${f.env}\` | \`${f.flag}\` | ${f.default === null ? '(computed)' : f.default === '' ? '(none)' : `\`${f.default}\``} | ${f.description} |`);
  return ['| Variable | Flag | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
