/**
 * Twilio Access Tokens for the Voice JavaScript SDK: an HS256 JWT signed with an API key's secret,
 * header `cty: twilio-fpa;v=1`, `iss` the API key SID, `sub` the account SID, and a voice grant that
 * lets the browser receive calls for its identity and place calls through a TwiML application.
 * The claims are those Twilio's own helper library writes, in the same order.
 */
import { SignJWT } from 'jose';

export interface AccessTokenInput {
  accountSid: string;
  apiKeySid: string;
  apiKeySecret: string;
  /** The TwiML application whose voice URL outgoing calls reach. */
  twimlAppSid: string;
  identity: string;
  ttlSeconds: number;
  /** Seconds since the epoch; the current time by default. */
  now?: number;
}

export const MAX_ACCESS_TOKEN_TTL = 86_400;

/** A browser client's identity for an account: Twilio allows letters, digits and underscores. */
export const clientIdentity = (accountId: number) => `agent_${accountId}`;

/** The account behind `client:agent_<id>` (or a bare identity), or null for anything else. */
export function accountOfClient(value: string | undefined): number | null {
  const m = /^(?:client:)?agent_([1-9]\d{0,14})$/.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

export async function accessToken(input: AccessTokenInput): Promise<{ token: string; expiresAt: number }> {
  const ttl = Math.min(Math.max(1, Math.floor(input.ttlSeconds)), MAX_ACCESS_TOKEN_TTL);
  const iat = input.now ?? Math.floor(Date.now() / 1000);
  const grants = {
    identity: input.identity,
    voice: { incoming: { allow: true }, outgoing: { application_sid: input.twimlAppSid } },
  };
  const token = await new SignJWT({ jti: `${input.apiKeySid}-${iat}`, grants })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setIssuer(input.apiKeySid)
    .setSubject(input.accountSid)
    .sign(new TextEncoder().encode(input.apiKeySecret));
  return { token, expiresAt: iat + ttl };
}
