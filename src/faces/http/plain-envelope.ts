/**
 * The envelope of Gatehouse's own endpoints (admin, dev, operations), which no vendor specification
 * describes: {"error": {"code", "message", "field"?}} with the plain HTTP status.
 */
import type { GatehouseError } from '../../core/errors.js';
import { COMMON_STATUS, type Envelope } from './errors.js';

export function plainEnvelope(error: GatehouseError): Envelope {
  return {
    status: COMMON_STATUS[error.code] ?? 400,
    body: { error: { code: error.code, message: error.message, ...(error.field && { field: error.field }) } },
  };
}
