/** What every Smart 2FA route shares: its credentials, OpenAPI tag and the {code, message, requestID} answer. */
import { Type } from '@sinclair/typebox';
import type { Capability } from '../../core/roles.js';
import type { AuthScheme } from '../http/authenticate.js';

export const AUTH: AuthScheme[] = ['basic', 'apiKey'];
/** A route's credentials and the capability it needs (core/roles.ts). */
export const access = (capability: Capability) => ({ auth: AUTH, capability });
export const tags = ['smart2fa'];
export const Answer = Type.Object({ code: Type.Integer(), message: Type.String(), requestID: Type.Union([Type.String(), Type.Null()]) });
