/**
 * The Flexisip rules on account fields. Every failing field is collected, so that a 422 names them
 * all ({"field": ["…"]}), as the upstream API answers.
 */
import { CommonErrors, GatehouseError } from '../errors.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from '../sip/digest.js';

export const DTMF_PROTOCOLS = ['sipinfo', 'sipmessage', 'rfc2833'] as const;
export type DtmfProtocol = (typeof DTMF_PROTOCOLS)[number];

const USERNAME = /^[a-z0-9+][a-z0-9._+-]{5,63}$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export class Problems {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  has(field: string): boolean {
    return field in this.errors;
  }

  /** Throws a validation error naming every field at fault, when there is one. */
  check(): void {
    const fields = Object.keys(this.errors);
    if (fields.length === 0) return;
    const first = this.errors[fields[0]!]![0]!;
    const more = fields.reduce((n, f) => n + this.errors[f]!.length, 0) - 1;
    const message = more > 0 ? `${first} (and ${more} more error${more > 1 ? 's' : ''})` : first;
    throw new GatehouseError(CommonErrors.validation, message, { field: fields[0], details: { errors: this.errors } });
  }
}

/** One field's refusal, in the same shape. */
export function refuse(field: string, message: string): never {
  const p = new Problems();
  p.add(field, message);
  p.check();
  throw new Error('unreachable');
}

export function checkUsername(p: Problems, value: unknown, required: boolean): void {
  if (value === undefined || value === null || value === '') {
    if (required) p.add('username', 'The username field is required.');
    return;
  }
  if (typeof value !== 'string' || value.length < 6) p.add('username', 'The username must be at least 6 characters.');
  else if (!USERNAME.test(value)) p.add('username', 'The username may contain only lowercase letters, digits and . _ + -, at most 64.');
}

export function checkPassword(p: Problems, value: unknown, field = 'password'): void {
  if (value === undefined || value === null || value === '') p.add(field, `The ${field} field is required.`);
  else if (typeof value !== 'string' || value.length < 6) p.add(field, `The ${field} must be at least 6 characters.`);
  else if (value.length > 200) p.add(field, `The ${field} must not be greater than 200 characters.`);
}

export function checkAlgorithm(p: Problems, value: unknown): value is DigestAlgorithm {
  if (value === undefined || value === null || value === '') {
    p.add('algorithm', 'The algorithm field is required.');
    return false;
  }
  if (!DIGEST_ALGORITHMS.includes(value as DigestAlgorithm)) {
    p.add('algorithm', 'The algorithm must be SHA-256 or MD5.');
    return false;
  }
  return true;
}

export function checkEmail(p: Problems, value: unknown, required = false): void {
  if (value === undefined || value === null || value === '') {
    if (required) p.add('email', 'The email field is required.');
    return;
  }
  if (typeof value !== 'string' || !EMAIL.test(value)) p.add('email', 'The email must be a valid email address.');
}

export function checkPhone(p: Problems, value: unknown, required = false): void {
  if (value === undefined || value === null || value === '') {
    if (required) p.add('phone', 'The phone field is required.');
    return;
  }
  if (typeof value !== 'string' || !E164.test(value)) p.add('phone', 'The phone must be an E.164 number such as +33612345678.');
}

export function checkDtmf(p: Problems, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!DTMF_PROTOCOLS.includes(value as DtmfProtocol)) p.add('dtmf_protocol', 'The dtmf protocol must be sipinfo, sipmessage or rfc2833.');
}

export function checkDisplayName(p: Problems, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length > 200 || /[\r\n"<>]/.test(value)) p.add('display_name', 'The display name must be one line of at most 200 characters, without quotes or angle brackets.');
}

/** "sip:user@domain" or "user@domain" → its parts; null when malformed. */
export function parseSipAddress(value: string): { username: string; domain: string } | null {
  const m = /^(?:sips?:)?([^@\s:;<>]{1,64})@([A-Za-z0-9.-]{1,253})$/.exec(value.trim());
  return m ? { username: m[1]!, domain: m[2]!.toLowerCase() } : null;
}

export const isE164 = (value: string) => E164.test(value);
