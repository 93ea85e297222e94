import { pino, type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * JSON logs for `charla sfu`. Code never passes the shared secret, SDPs or media to the logger;
 * redaction is the second line of defence.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'charla-sfu' },
      redact: { paths: ['secret', '*.secret', 'authorization', '*.authorization', 'sdp', '*.sdp'], censor: '[redacted]' },
    },
    destination,
  );
}

export type { Logger };
