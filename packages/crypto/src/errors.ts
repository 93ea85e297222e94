/**
 * Typed errors of the crypto leaf. Messages are fixed, human-readable strings: they never carry
 * key material, plaintext or tokens, because callers log them and send them across boundaries.
 */

export const CryptoErrorCodes = {
  invalidInput: 'invalid_input',
  decryptFailed: 'decrypt_failed',
  hashMismatch: 'hash_mismatch',
  wrongPassword: 'wrong_password',
  wrongEpoch: 'wrong_epoch',
  untrustedIdentity: 'untrusted_identity',
  noMatchingKeyPackage: 'no_matching_key_package',
  notMember: 'not_member',
  unsupportedMessage: 'unsupported_message',
  invalidMessage: 'invalid_message',
} as const;
export type CryptoErrorCode = (typeof CryptoErrorCodes)[keyof typeof CryptoErrorCodes];

export class CryptoError extends Error {
  override name: string = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(message: string, options: { code?: CryptoErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? CryptoErrorCodes.invalidInput;
  }
}

/** The sealed account key did not open: wrong password (or a corrupted blob, indistinguishable by design). */
export class WrongPasswordError extends CryptoError {
  override name = 'WrongPasswordError';
  constructor(options: { cause?: unknown } = {}) {
    super('wrong password', { ...options, code: CryptoErrorCodes.wrongPassword });
  }
}

/** A handshake or application message belongs to an epoch this state cannot process. */
export class WrongEpochError extends CryptoError {
  override name = 'WrongEpochError';
  readonly messageEpoch: number;
  readonly stateEpoch: number;
  constructor(messageEpoch: number, stateEpoch: number) {
    super(`message is for epoch ${messageEpoch}, group state is at epoch ${stateEpoch}`, { code: CryptoErrorCodes.wrongEpoch });
    this.messageEpoch = messageEpoch;
    this.stateEpoch = stateEpoch;
  }
}

/** [DEV-4] A credential whose account signature does not verify, or whose account key the caller does not trust. */
export class UntrustedIdentityError extends CryptoError {
  override name = 'UntrustedIdentityError';
  /** The user id the credential claims, when it could be parsed (public data, safe to show). */
  readonly userId: string | undefined;
  constructor(userId?: string, options: { cause?: unknown } = {}) {
    super(userId === undefined ? 'untrusted device credential' : `untrusted device credential for ${userId}`, {
      ...options,
      code: CryptoErrorCodes.untrustedIdentity,
    });
    this.userId = userId;
  }
}
