/**
 * Account creation request tokens, account creation tokens (by an admin, by a validated request token,
 * by push), auth tokens and the API keys they lead to. What a token yields expires no later than the
 * credential that gave the token its power (core/credentials/lifetimes.ts): the admin that made or
 * validated it, the account credential that attached it. The token's own expiry bounds only its use.
 */
import type { Caller } from '../callers.js';
import { hasExpired, mintedExpiry } from '../credentials/lifetimes.js';
import { now } from '../crypto.js';
import { CommonErrors, GatehouseError, forbidden, notFound } from '../errors.js';
import type { FlexisipContext } from './common.js';
import { Problems, refuse } from './validation.js';

/** Send-by-push attempts one device may make (a delivered token ends them all). */
export const PUSH_ATTEMPTS_PER_DEVICE = 3;

export function createTokenFlows(ctx: FlexisipContext) {
  const { db, access, tokens, accounts, push, settings, self, options: { credentials } } = ctx;

  async function createRequestToken() {
    return tokens.issue('request', { domain: settings.defaultDomain });
  }

  /** Only an admin of the domain the request would open an account in validates it (no domain: the deployment admin). */
  async function validateRequestToken(caller: Caller, token: string) {
    const scope = await access.adminScope(caller);
    const row = await tokens.live('request', token);
    if (!row || !(scope.all || access.inScope(scope, row.domain))) throw notFound('account_creation_request_token');
    await tokens.validate(row.id, mintedExpiry(caller, null));
  }

  /** A token whose grantor's credential has expired yields nothing: as if it were unknown. */
  const grantorLive = (row: { grantorExpiresAt: number | null }) => !hasExpired(row.grantorExpiresAt, now());

  async function creationTokenFromRequest(requestToken: string) {
    if (!requestToken) refuse('account_creation_request_token', 'The account creation request token field is required.');
    const row = await tokens.live('request', requestToken);
    if (!row || row.validatedAt === null || !grantorLive(row)) throw notFound('account_creation_request_token');
    if (!(await tokens.spend(row.id))) throw notFound('account_creation_request_token');
    return tokens.issue('creation', { domain: row.domain, notAfter: row.grantorExpiresAt });
  }

  /**
   * An account creation token for one of the caller's domains: the one named, else its only one. The
   * deployment admin's may name none: then the default domain, else the deployment's only one (a
   * default install), so that the token knows its domain. The account it opens lands there.
   */
  async function creationTokenByAdmin(caller: Caller, named?: string | null) {
    const scope = await access.adminScope(caller);
    const notAfter = mintedExpiry(caller, null);
    const domain = named?.trim().toLowerCase() || null;
    if (domain !== null) {
      if (scope.all) await accounts.domainTenant(domain);
      else if (!access.inScope(scope, domain)) throw forbidden('this domain is outside the caller\'s reach');
      return tokens.issue('creation', { domain, notAfter });
    }
    if (scope.all) return tokens.issue('creation', { domain: settings.defaultDomain ?? (await accounts.soleDomain()), notAfter });
    if (scope.domains.length !== 1) refuse('domain', 'The domain field is required (the caller administers several domains, or none).');
    return tokens.issue('creation', { domain: scope.domains[0]!, notAfter });
  }

  async function sendByPush(input: { pn_provider: string; pn_param: string; pn_prid: string }) {
    const p = new Problems();
    for (const field of ['pn_provider', 'pn_param', 'pn_prid'] as const) {
      if (!input[field]) p.add(field, `The ${field.replace('_', ' ')} field is required.`);
    }
    p.check();
    const history = await tokens.pushHistory(input.pn_prid);
    if (history.delivered > 0) throw forbidden('a token was already sent to this device');
    if (history.attempts >= PUSH_ATTEMPTS_PER_DEVICE) throw forbidden('the token limit is reached for this device');
    const issued = await tokens.issue('creation', { domain: settings.defaultDomain, pn: { provider: input.pn_provider, param: input.pn_param, prid: input.pn_prid } });
    const sent = await push.send({ pnProvider: input.pn_provider, pnParam: input.pn_param, pnPrid: input.pn_prid, token: issued.token }).catch(() => false);
    if (!sent) {
      // The attempt counts toward the device's limit, but the token it made can never be used.
      await tokens.spend(issued.id);
      throw new GatehouseError(CommonErrors.unavailable, 'the push notification was not sent');
    }
    await tokens.validate(issued.id);
  }

  async function createAuthToken() {
    return tokens.issue('auth');
  }

  async function attachAuthToken(caller: Caller, token: string) {
    const me = await self(caller);
    const row = await tokens.live('auth', token);
    if (!row || row.accountId !== null) throw notFound('auth_token');
    await tokens.attach(row.id, me.id, mintedExpiry(caller, null));
  }

  /**
   * A fresh API key for an account, expiring at `expiresAt` (null: never); the previous one made here
   * stops working (one key per account). The wire answers the bare key, so the expiry is the server's.
   */
  async function freshApiKey(accountId: number, expiresAt: number | null): Promise<string> {
    await db.deleteFrom('api_keys').where('account_id', '=', accountId).where('name', '=', 'flexisip').execute();
    return (await credentials.createApiKey(null, { accountId, name: 'flexisip', expiresAt })).apiKey;
  }

  async function apiKeyForMe(caller: Caller) {
    return freshApiKey((await self(caller)).id, mintedExpiry(caller, null));
  }

  async function apiKeyFromAuthToken(token: string) {
    const row = await tokens.live('auth', token);
    if (!row || row.accountId === null || !grantorLive(row)) throw notFound('auth_token');
    const account = await accounts.byId(row.accountId);
    if (!account || account.blocked || !(await tokens.spend(row.id))) throw notFound('auth_token');
    return freshApiKey(account.id, row.grantorExpiresAt);
  }

  return { createRequestToken, validateRequestToken, creationTokenFromRequest, creationTokenByAdmin, sendByPush, createAuthToken, attachAuthToken, apiKeyForMe, apiKeyFromAuthToken };
}
