import { ApiError, NetworkError, SdkError } from '@charla/sdk';
import type { Translate } from './i18n.ts';

/** A sentence a person understands for anything the SDK throws. */
export function describeError(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.code === 'USERNAME_TAKEN') return t('errUsernameTaken');
    if (error.code === 'INVALID_CREDENTIALS') return t('errCredentials');
    if (error.code === 'UNKNOWN_USER') return t('errUnknownUser');
  }
  if (error instanceof NetworkError) return t('errNetwork');
  if (error instanceof SdkError) return t('errorGeneric', { message: error.message });
  return t('errorGeneric', { message: error instanceof Error ? error.message : String(error) });
}
