/** Schema pieces shared by faces. */
import { Type } from '@sinclair/typebox';

/** A tenant named by its numeric id or its SID. */
export const TenantRef = Type.String({ pattern: '^([0-9]{1,10}|AC[0-9a-f]{32})$', description: 'tenant id or SID', maxLength: 34 });
export const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });
