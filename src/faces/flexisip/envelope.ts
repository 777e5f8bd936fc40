/**
 * The Flexisip face's answers to errors, as the upstream API gives them: {"message"} with the plain
 * status, 422 with {"message", "errors": {"field": ["…"]}}, and a 401 Digest challenge with one
 * WWW-Authenticate header per algorithm.
 */
import { CommonErrors, type GatehouseError } from '../../core/errors.js';
import { FraudErrors } from '../../core/fraud/errors.js';
import { GuessingErrors } from '../../core/guessing/errors.js';
import { VerificationErrors } from '../../core/verifications/errors.js';
import type { Envelope } from '../http/errors.js';

const STATUS: Record<string, number> = {
  [CommonErrors.validation]: 422,
  [CommonErrors.unauthenticated]: 401,
  [CommonErrors.forbidden]: 403,
  [CommonErrors.notFound]: 404,
  [CommonErrors.conflict]: 422,
  [CommonErrors.payloadTooLarge]: 413,
  [CommonErrors.unsupportedMediaType]: 415,
  [CommonErrors.unavailable]: 503,
  [CommonErrors.internal]: 500,
  [VerificationErrors.rateLimited]: 429,
  [GuessingErrors.refused]: 429,
  // A number no code goes to is an invalid field, as upstream answers a bad phone; a blocked prefix is a refusal.
  [FraudErrors.numberRefused]: 422,
  [FraudErrors.prefixBlocked]: 403,
};

export function flexisipEnvelope(error: GatehouseError): Envelope {
  const status = STATUS[error.code] ?? 400;
  const challenges = error.details?.challenges as string[] | undefined;
  const headers = challenges?.length ? { 'www-authenticate': challenges } : undefined;
  if (status !== 422) return { status, body: { message: status === 404 ? notFoundMessage(error.message) : error.message }, headers };
  const given = error.details?.errors as Record<string, string[]> | undefined;
  if (given) return { status, body: { message: error.message, errors: given }, headers };
  const field = error.field ?? 'body';
  const message = laravelSentence(field, error.message);
  return { status, body: { message, errors: { [field]: [message] } }, headers };
}

/**
 * One 422 style on this face, upstream's (Laravel's): a sentence naming the field in words. Core and
 * schema errors elsewhere read "field: is required"; here that is "The field field is required.".
 */
function laravelSentence(field: string, message: string): string {
  const words = (name: string) => name.replace(/[._]/g, ' ');
  const rest = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  if (/^The /.test(rest)) {
    const named = rest.replace(/\b[a-z]+(?:[._][a-z]+)+\b/g, words);
    return /[.!?]$/.test(named) ? named : `${named}.`;
  }
  const sentence = rest === 'is required' ? `The ${words(field)} field is required` : `The ${words(field)} ${rest}`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

const notFoundMessage = (message: string) => (message.endsWith('not found') ? `${message[0]!.toUpperCase()}${message.slice(1)}` : message);
