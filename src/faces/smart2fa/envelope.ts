/**
 * Smart 2FA's envelope {"code", "message", "requestID"} and its numeric codes, beside the core codes
 * they stand for. The common codes (400, 401, 403, 404, 413, 415, 500, 503) are Gatehouse's design
 * in the spec's style: the code equals the HTTP status and the message names the field at fault.
 */
import { CommonErrors, type GatehouseError } from '../../core/errors.js';
import { FraudErrors } from '../../core/fraud/errors.js';
import { LimitErrors, VerificationErrors } from '../../core/verifications/errors.js';
import { COMMON_STATUS, type Envelope } from '../http/errors.js';

/** core code → [Smart 2FA code, HTTP status] */
export const SMART2FA_CODES: Record<string, [number, number]> = {
  [VerificationErrors.rateLimited]: [453, 404],
  [VerificationErrors.countryNotAllowed]: [454, 403],
  [FraudErrors.numberRefused]: [455, 403],
  [FraudErrors.prefixBlocked]: [456, 403],
  [VerificationErrors.unknownRequest]: [470, 404],
  [VerificationErrors.alreadyVerified]: [471, 409],
  [VerificationErrors.expired]: [472, 410],
  [VerificationErrors.canceled]: [473, 410],
  [VerificationErrors.wrongCode]: [474, 401],
  [VerificationErrors.tooManyAttempts]: [475, 429],
  [VerificationErrors.cancelUnknown]: [490, 404],
  [LimitErrors.nameTaken]: [492, 409],
  [LimitErrors.unknownLimit]: [493, 409],
  [LimitErrors.unknownLimitName]: [495, 409],
};

/**
 * An error about a request that exists carries its requestID (core puts it in the error's details);
 * a 453 says in Retry-After how long its empty bucket takes to hold a token again.
 */
export function smart2faEnvelope(error: GatehouseError): Envelope {
  const requestId = typeof error.details?.requestId === 'string' ? error.details.requestId : null;
  const retryAfter = error.details?.retryAfter;
  const mapped = SMART2FA_CODES[error.code];
  if (mapped) {
    return {
      status: mapped[1],
      body: { code: mapped[0], message: error.message, requestID: requestId },
      ...(typeof retryAfter === 'number' && { headers: { 'retry-after': String(retryAfter) } }),
    };
  }
  const status = COMMON_STATUS[error.code] ?? 400;
  const message = error.code === CommonErrors.unauthenticated ? `Authentication failed: ${error.message}` : error.message;
  return { status, body: { code: status, message, requestID: requestId } };
}
