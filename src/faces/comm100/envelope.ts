/**
 * The Comm100 envelope: errors are {"error": <the documents' string>, "message"} with HTTP 400, as
 * both Comm100 documents show. Failures the documents never describe keep a plain HTTP status so
 * clients and proxies can tell them apart (401 no or bad credentials, 403 out of reach, 404 no such
 * thing, 413/415 bad body, 500), in the same {"error", "message"} shape. Facts the documents add to
 * an error (retryRemainingNumber, and lockedUntil for a locked account) come from the error's details.
 * Too many password tries answer 429 "Number of retries exceeded" with Retry-After (details.retryAfter, seconds).
 */
import { Type } from '@sinclair/typebox';
import { CommonErrors, type GatehouseError } from '../../core/errors.js';
import { GuessingErrors } from '../../core/guessing/errors.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import type { Envelope } from '../http/errors.js';

/** Each core code and the `error` string the Comm100 documents spell for it. */
export const COMM100_ERRORS: Record<string, string> = {
  [TwoFactorErrors.codeVerifyFailed]: 'code verify failed',
  [TwoFactorErrors.secretKeyExists]: 'secretKey have exited',
  [TwoFactorErrors.loginTimeout]: 'Timeout',
  [TwoFactorErrors.retriesExceeded]: 'Number of retries exceeded',
  [TwoFactorErrors.accountLocked]: 'account locked',
  [TwoFactorErrors.passwordRateLimited]: 'Number of retries exceeded',
  [GuessingErrors.refused]: 'Number of retries exceeded',
  [CommonErrors.validation]: 'invalid parameter',
  [CommonErrors.unauthenticated]: 'unauthorized',
  [CommonErrors.forbidden]: 'forbidden',
  [CommonErrors.notFound]: 'not found',
  [CommonErrors.conflict]: 'conflict',
  [CommonErrors.payloadTooLarge]: 'payload too large',
  [CommonErrors.unsupportedMediaType]: 'unsupported media type',
  [CommonErrors.unavailable]: 'unavailable',
  [CommonErrors.internal]: 'internal error',
};

const STATUS: Record<string, number> = {
  [TwoFactorErrors.passwordRateLimited]: 429,
  [GuessingErrors.refused]: 429,
  [CommonErrors.unauthenticated]: 401,
  [CommonErrors.forbidden]: 403,
  [CommonErrors.notFound]: 404,
  [CommonErrors.payloadTooLarge]: 413,
  [CommonErrors.unsupportedMediaType]: 415,
  [CommonErrors.unavailable]: 503,
  [CommonErrors.internal]: 500,
};

export function comm100Envelope(error: GatehouseError): Envelope {
  const retry = error.details?.retryRemainingNumber;
  const retryAfter = error.details?.retryAfter;
  const lockedUntil = error.details?.lockedUntil;
  return {
    status: STATUS[error.code] ?? 400,
    ...(retryAfter !== undefined && { headers: { 'retry-after': String(retryAfter) } }),
    body: {
      error: COMM100_ERRORS[error.code] ?? error.code,
      message: error.message,
      ...(retry !== undefined && { retryRemainingNumber: String(retry) }),
      ...(typeof lockedUntil === 'string' && { lockedUntil }),
    },
  };
}

/** The documented body of a failed call, for response schemas. */
export const Comm100Error = Type.Object({
  error: Type.String(),
  message: Type.String(),
  retryRemainingNumber: Type.Optional(Type.String()),
  lockedUntil: Type.Optional(Type.String({ format: 'date-time', description: 'account locked: when the lock ends' })),
});
