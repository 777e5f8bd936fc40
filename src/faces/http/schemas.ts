/** Schema pieces shared by faces. */
import { Type } from '@sinclair/typebox';
import { invalid } from '../../core/errors.js';
import { parseIso8601 } from '../../core/iso8601.js';

/** A tenant named by its numeric id or its SID. */
export const TenantRef = Type.String({ pattern: '^([0-9]{1,10}|AC[0-9a-f]{32})$', description: 'tenant id or SID', maxLength: 34 });
export const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });

/** An ISO 8601 date-time sent to any face; without a zone it is UTC (core/iso8601.ts). */
export const DateTimeInput = Type.String({ maxLength: 40, description: 'ISO 8601 date-time, e.g. 2026-12-06T04:00:00Z; without a zone, UTC' });

/** The epoch ms of a DateTimeInput; a 4xx on the field when it is not one. */
export function dateTimeOf(field: string, value: string): number {
  const t = parseIso8601(value);
  if (t === null) throw invalid(field, 'must be an ISO 8601 date-time such as 2026-12-06T04:00:00Z (no zone: UTC)');
  return t;
}
