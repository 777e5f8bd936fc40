/**
 * Core raises GatehouseError with a code from a capability's table; each face maps codes to its
 * own envelope in one place. Codes shared by every capability live here; a capability adds its own
 * table next to its functions (e.g. core/verifications/errors.ts).
 */
export const CommonErrors = {
  validation: 'validation',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  unavailable: 'unavailable',
  internal: 'internal',
} as const;

export class GatehouseError extends Error {
  readonly code: string;
  /** The input field at fault, when there is one: faces name it in their envelope. */
  readonly field?: string;
  /** Extra facts a face may show (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: { field?: string; details?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'GatehouseError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }
}

export const invalid = (field: string, message: string) =>
  new GatehouseError(CommonErrors.validation, `${field}: ${message}`, { field });
export const notFound = (what: string) => new GatehouseError(CommonErrors.notFound, `${what} not found`);
export const forbidden = (message = 'forbidden') => new GatehouseError(CommonErrors.forbidden, message);
export const unauthenticated = (message = 'authentication required') =>
  new GatehouseError(CommonErrors.unauthenticated, message);
export const conflict = (message: string, field?: string) =>
  new GatehouseError(CommonErrors.conflict, message, { field });
