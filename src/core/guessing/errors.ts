/** The guessing limits' one refusal; faces answer it 429 with Retry-After (details.retryAfter, seconds). */
import { GatehouseError } from '../errors.js';

export const GuessingErrors = {
  refused: 'guessing_refused',
} as const;

export const guessingRefused = (retryAfter: number) =>
  new GatehouseError(GuessingErrors.refused, `too many failed attempts from this address: try again in ${retryAfter} s`, { details: { retryAfter } });
