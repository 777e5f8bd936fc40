/** The upstream project's rules for action and type keys and action codes, as the spec states them. */
import { invalid } from '../errors.js';

/** Lowercase letters, digits, dashes and underscores (Laravel's alpha_dash, lowercase). */
const KEY = /^[a-z0-9_-]{1,64}$/;
/** Lowercase letters and digits. */
const CODE = /^[a-z0-9]{1,64}$/;

export function checkKey(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, `The ${field} field is required.`);
  if (!KEY.test(value)) throw invalid(field, `The ${field} must be lowercase letters, digits and dashes, at most 64.`);
  return value;
}

export function checkCode(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, `The ${field} field is required.`);
  if (!CODE.test(value)) throw invalid(field, `The ${field} must be lowercase letters and digits, at most 64.`);
  return value;
}
