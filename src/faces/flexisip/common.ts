/** What every Flexisip route shares: credentials by access badge, the account object, schemas. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { AccountAnswer } from '../../core/flexisip/flexisip.js';
import type { Capability } from '../../core/roles.js';
import type { AuthScheme } from '../http/authenticate.js';

/** User: the account itself, by Digest, API key or JWT. Admin: the same, plus a tenant's Basic credentials. */
export const USER: AuthScheme[] = ['digest', 'apiKey', 'jwt'];
export const ADMIN: AuthScheme[] = ['digest', 'apiKey', 'jwt', 'basic'];

/**
 * Route configs by badge. Every Admin endpoint needs accounts.manage (the deployment admin, tenants,
 * Flexisip admins); a User endpoint reads itself (accounts.read), mints its keys (credentials.mint)
 * or changes itself (sip.self). Which accounts each may touch is then decided in core.
 */
export const asAdmin = { auth: ADMIN, capability: 'accounts.manage' } as const;
export const asUser = (capability: Extract<Capability, 'accounts.read' | 'credentials.mint' | 'sip.self'>) => ({ auth: USER, capability });
export const tags = ['flexisip'];

export const Message = Type.Object({ message: Type.String(), errors: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))) });
export const errors = { '4xx': Message, '5xx': Message };

export const Account = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    domain: Type.String(),
    realm: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    display_name: Type.Union([Type.String(), Type.Null()]),
    activated: Type.Boolean(),
    blocked: Type.Boolean(),
    admin: Type.Boolean(),
    dtmf_protocol: Type.Union([Type.String(), Type.Null()]),
    user_agent: Type.Union([Type.String(), Type.Null()]),
    provisioning_token: Type.Union([Type.String(), Type.Null()]),
    confirmation_key_expires: Type.Union([Type.String(), Type.Null()]),
    confirmation_key: Type.Optional(Type.String()),
    dictionary: Type.Record(Type.String(), Type.String()),
    email_change_code: Type.Union([
      Type.Object({ email: Type.String(), created_at: Type.Union([Type.String(), Type.Null()]), updated_at: Type.Union([Type.String(), Type.Null()]) }),
      Type.Null(),
    ]),
    types: Type.Array(Type.Object({ id: Type.Integer(), key: Type.String() })),
    actions: Type.Array(Type.Object({ id: Type.Integer(), key: Type.String(), code: Type.String() })),
    passwords: Type.Array(Type.Object({ algorithm: Type.String(), password: Type.Optional(Type.String()) })),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { description: 'a SIP account; a field not listed here is not serialised' },
);

/** "Y-m-d H:i:s" in UTC, the upstream format of confirmation_key_expires. */
const laravelTime = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');

const isoOrNull = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function accountJson(a: AccountAnswer, realmOf: (domain: string) => string) {
  const { account } = a;
  return {
    id: account.id,
    username: account.username,
    domain: account.domain,
    realm: realmOf(account.domain),
    email: account.email,
    phone: account.phone,
    display_name: account.displayName,
    activated: account.activated,
    blocked: account.blocked,
    admin: account.admin,
    dtmf_protocol: account.dtmfProtocol,
    user_agent: account.userAgent,
    provisioning_token: account.provisioningToken,
    confirmation_key_expires: account.confirmationKeyExpires === null ? null : laravelTime(account.confirmationKeyExpires),
    ...(a.confirmationKey && { confirmation_key: a.confirmationKey }),
    dictionary: account.dictionary,
    // Upstream's pending email change, without its code (hidden there too).
    email_change_code: account.emailChange && {
      email: account.emailChange.email,
      created_at: isoOrNull(account.emailChange.createdAt),
      updated_at: isoOrNull(account.emailChange.updatedAt),
    },
    types: account.types,
    actions: account.actions,
    passwords: account.algorithms.map((algorithm) => ({ algorithm, ...(a.ha1?.[algorithm] && { password: a.ha1[algorithm] }) })),
    created_at: new Date(account.createdAt).toISOString(),
    updated_at: new Date(account.updatedAt).toISOString(),
  };
}

export const Token = Type.Object({ token: Type.String(), expire_at: Type.String(), validation_url: Type.Optional(Type.String()) });
export const tokenJson = (t: { token: string; expiresAt: number }) => ({ token: t.token, expire_at: new Date(t.expiresAt).toISOString() });

/**
 * The API key as the upstream sets it: also a cookie, for browsers. SameSite=Strict: no request
 * another site starts carries it, not even a top-level link (Lax would send it on a GET, and some
 * GETs change state); the authentication layer also refuses it on cross-site state changes.
 */
export function setApiKeyCookie(reply: FastifyReply, key: string): void {
  reply.setCookie('x-api-key', key, { path: '/', httpOnly: true, sameSite: 'strict', secure: reply.request.protocol === 'https' });
}

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) });
