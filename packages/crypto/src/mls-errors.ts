import { CryptoError, CryptoErrorCodes, UntrustedIdentityError } from './errors.ts';
import type { AuthRecord } from './mls-identity.ts';

/**
 * Maps whatever ts-mls threw to our typed errors. ts-mls messages are fixed strings without key
 * material, so the original stays attached as `cause` for debugging.
 */
export function mapMlsError(error: unknown, record: AuthRecord | undefined, message: string): CryptoError {
  if (error instanceof CryptoError) return error;
  if (record?.refused !== undefined) return new UntrustedIdentityError(record.refused.userId, { cause: error });
  return new CryptoError(message, { code: CryptoErrorCodes.invalidMessage, cause: error });
}
