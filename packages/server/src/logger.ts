import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/load.ts';

/**
 * JSON logs. Code never passes tokens, keys, authKeys or message bodies to the logger; redaction
 * is the second line of defence for the fields where one could slip in.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'charla-server' },
      redact: {
        paths: [
          'req.headers.authorization', 'headers.authorization', 'authorization',
          'token', '*.token', 'authKey', '*.authKey', 'inviteToken', '*.inviteToken',
          'body', '*.body', 'encryptedAccountKey', '*.encryptedAccountKey', 'keyPackage', '*.keyPackage',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
