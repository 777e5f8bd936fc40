/** What every Smart 2FA route shares: its credentials, OpenAPI tag and the {code, message, requestID} answer. */
import { Type } from '@sinclair/typebox';
import type { AuthScheme } from '../http/authenticate.js';

export const AUTH: AuthScheme[] = ['basic', 'apiKey'];
export const tags = ['smart2fa'];
export const Answer = Type.Object({ code: Type.Integer(), message: Type.String(), requestID: Type.Union([Type.String(), Type.Null()]) });
