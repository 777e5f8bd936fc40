/** What the voice routes share: credentials, the OpenAPI tag, the error responses. */
import { Type } from '@sinclair/typebox';
import type { Capability } from '../../core/roles.js';
import type { AuthScheme } from '../http/authenticate.js';
import { Comm100Error } from '../comm100/envelope.js';
import { Id } from '../http/schemas.js';

/** Agents and super agents (login JWT, API key); tenants with their SID and auth token. */
export const AUTH: AuthScheme[] = ['jwt', 'apiKey', 'basic'];
/** A route's credentials and the capability it needs (core/roles.ts). */
export const access = (capability: Capability, auth: AuthScheme[] = AUTH) => ({ auth, capability });
export const tags = ['comm100 voice'];
export const errors = { 400: Comm100Error, 401: Comm100Error, 403: Comm100Error, 404: Comm100Error, 409: Comm100Error, 502: Comm100Error };
export const SiteQuery = Type.Object({ siteId: Type.Optional(Id) });
export const Success = Type.Object({ result: Type.Literal('success') });
