/** Schema pieces the Comm100 routes share. Unknown fields are tolerated: these are vendor clients. */
import { type TObject, type TProperties, Type } from '@sinclair/typebox';
import { Id } from '../http/schemas.js';
import { Comm100Error } from './envelope.js';

export const SecretKey = Type.String({ minLength: 1, maxLength: 200, description: '2FA secret key (base32)' });
/** A secret key a call may omit: `""` (as the documents' examples send it) means none. */
export const OptionalSecretKey = Type.Optional(Type.String({ maxLength: 200, description: '2FA secret key (base32), only when setting 2FA up; "" means none' }));
export const Code = Type.String({ minLength: 1, maxLength: 64, description: '2FA code' });

/**
 * The documents name the account an endpoint is about in several ways (agentId, superAgentId,
 * superagentId, v1's agentid and partneruserid); any of them is accepted, and none means the caller.
 */
export const TargetFields = {
  agentId: Type.Optional(Id),
  agentid: Type.Optional(Id),
  superAgentId: Type.Optional(Id),
  superagentId: Type.Optional(Id),
  partneruserid: Type.Optional(Id),
};

export function targetOf(...sources: Array<Partial<Record<keyof typeof TargetFields, number>> | undefined>): number | undefined {
  for (const s of sources) {
    const id = s?.agentId ?? s?.agentid ?? s?.superAgentId ?? s?.superagentId ?? s?.partneruserid;
    if (id !== undefined) return id;
  }
  return undefined;
}

export const lenient = <T extends TProperties>(properties: T): TObject<T> => Type.Object(properties);

export const SecretView = Type.Object({ secretKey: Type.String(), otpauthUrl: Type.String(), qrcodeUrl: Type.String() });
export const ConfigView = Type.Object({ id: Type.String({ description: '2FA config id' }), agentId: Type.String() });
export const SuperAgentConfigView = Type.Object({ id: Type.String(), superagentid: Type.String() });
export const BackupCodeView = Type.Object({ code: Type.String({ description: 'the backup code, shown only here' }) });
export const Result = Type.Object({ result: Type.Union([Type.Literal('success'), Type.Literal('fail')]) });

/** Responses every route may give, besides its own 200. */
export const errors = { 400: Comm100Error, 401: Comm100Error, 403: Comm100Error, 404: Comm100Error };
