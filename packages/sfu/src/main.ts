import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger, type LogLevel } from './logger.ts';
import { startSfuService } from './service.ts';

/**
 * `charla sfu`: flags and environment → one validated, frozen config → `startSfuService`; SIGTERM
 * or SIGINT drains (refuse new joins, wait for rooms to empty up to the drain timeout) and exits.
 * The secret comes from the environment or a file, never from a flag (flags show up in `ps`).
 */

export const SFU_HELP = `charla sfu — run a Charla SFU (media forwarding for rooms) as its own process

Usage: charla sfu [flags]

Charla servers connect to ws://<host>:<port>/v1/sfu/control with the shared secret and
assign rooms to it. Media (WebRTC) uses UDP on the addresses below; the control port is TCP.

Flags (environment variable in brackets):
  --host <addr>            control listen address [CHARLA_SFU_HOST] (default 127.0.0.1)
  --port <n>               control listen port, 0 = any free one [CHARLA_SFU_PORT] (default 7881)
  --secret-file <path>     file holding the shared secret [CHARLA_SFU_SECRET_FILE]
                           (or put the secret itself in CHARLA_SFU_SECRET; at least 16 characters)
  --ice-address <addr>     extra ICE host candidate address, repeatable or comma-separated
                           [CHARLA_SFU_ICE_ADDRESSES] (e.g. the public IP; 127.0.0.1 for same-host tests)
  --ice-interface <addr>   only gather UDP candidates on this IPv4 address [CHARLA_SFU_ICE_INTERFACE]
  --last-n <n>             default number of videos forwarded to each receiver [CHARLA_SFU_LAST_N] (default 9)
  --audio-top-k <n>        audio streams forwarded to each receiver, loudest first [CHARLA_SFU_AUDIO_TOP_K] (default 3)
  --simulcast              offer to receive simulcast video (rids h, l) [CHARLA_SFU_SIMULCAST=1]
  --drain-timeout <ms>     on SIGTERM, wait this long for rooms to empty [CHARLA_SFU_DRAIN_TIMEOUT_MS] (default 30000)
  --log-level <level>      fatal|error|warn|info|debug|trace|silent [CHARLA_SFU_LOG_LEVEL] (default info)
  -h, --help               show this help

The process logs JSON lines to stdout; the first "listening" line carries the control URL.
GET /healthz on the control port answers {"ok":true,"load":{...}} (503 while draining).
`;

const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const Int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const SfuConfig = z.object({
  host: z.string().min(1),
  port: Int(0, 65_535),
  secret: z.string().min(16, 'the SFU secret must be at least 16 characters'),
  iceAddresses: z.array(z.ipv4().or(z.ipv6())).max(16),
  iceInterface: z.ipv4().optional(),
  lastN: Int(0, 100),
  audioTopK: Int(0, 20),
  simulcast: z.boolean(),
  drainTimeoutMs: Int(0, 24 * 3600 * 1000),
  logLevel: z.enum(LogLevels),
});
export type SfuConfig = Readonly<z.infer<typeof SfuConfig>>;

/** Flags win over the environment; throws a readable error on invalid input. */
export function loadSfuConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): SfuConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'secret-file': { type: 'string' },
      'ice-address': { type: 'string', multiple: true },
      'ice-interface': { type: 'string' },
      'last-n': { type: 'string' },
      'audio-top-k': { type: 'string' },
      simulcast: { type: 'boolean' },
      'drain-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const secretFile = values['secret-file'] ?? env.CHARLA_SFU_SECRET_FILE;
  const secret = secretFile ? readFileSync(secretFile, 'utf8').trim() : (env.CHARLA_SFU_SECRET ?? '');
  const iceAddresses = (values['ice-address'] ?? (env.CHARLA_SFU_ICE_ADDRESSES ? [env.CHARLA_SFU_ICE_ADDRESSES] : []))
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  const parsed = SfuConfig.safeParse({
    host: values.host ?? env.CHARLA_SFU_HOST ?? '127.0.0.1',
    port: values.port ?? env.CHARLA_SFU_PORT ?? 7881,
    secret,
    iceAddresses,
    iceInterface: values['ice-interface'] ?? env.CHARLA_SFU_ICE_INTERFACE,
    lastN: values['last-n'] ?? env.CHARLA_SFU_LAST_N ?? 9,
    audioTopK: values['audio-top-k'] ?? env.CHARLA_SFU_AUDIO_TOP_K ?? 3,
    simulcast: values.simulcast ?? env.CHARLA_SFU_SIMULCAST === '1',
    drainTimeoutMs: values['drain-timeout'] ?? env.CHARLA_SFU_DRAIN_TIMEOUT_MS ?? 30_000,
    logLevel: values['log-level'] ?? env.CHARLA_SFU_LOG_LEVEL ?? 'info',
  });
  if (!parsed.success) {
    // Never echo the secret: report only which fields are wrong.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.path[0] === 'secret' ? 'the SFU secret must be at least 16 characters (CHARLA_SFU_SECRET or --secret-file)' : issue.message}`);
    throw new Error(`invalid SFU configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

/** Entry point of `charla sfu`; resolves with the exit code once the service has drained. */
export async function runSfuCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SFU_HELP);
    return 0;
  }
  let config: SfuConfig;
  try {
    config = loadSfuConfig(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\nRun "charla sfu --help" for the flags.\n`);
    return 2;
  }
  const logger = createLogger(config.logLevel as LogLevel);
  const service = await startSfuService({
    host: config.host,
    port: config.port,
    secret: config.secret,
    logger,
    lastN: config.lastN,
    audioTopK: config.audioTopK,
    simulcast: config.simulcast,
    drainTimeoutMs: config.drainTimeoutMs,
    iceAdditionalHostAddresses: config.iceAddresses,
    ...(config.iceInterface ? { interfaceAddresses: { udp4: config.iceInterface } } : {}),
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await service.drain();
  return 0;
}
