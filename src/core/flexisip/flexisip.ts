/**
 * The SIP account life cycle behind the Flexisip face: public creation through tokens, the account's
 * own operations (User), and domain administration (Admin), every check of who may act in access.ts.
 */
import type { Channels } from '../core.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import type { Credentials } from '../credentials/credentials.js';
import { now, randomString, sha256Hex } from '../crypto.js';
import { CommonErrors, GatehouseError, forbidden, notFound } from '../errors.js';
import type { DigestAlgorithm } from '../sip/digest.js';
import type { Verifications } from '../verifications/verifications.js';
import { type Access, type DomainScope, createAccess } from './access.js';
import { type SipAccount, createSipAccounts } from './accounts.js';
import { type RegistrarControl, createDevices } from './devices.js';
import { type PushProvider, outboxPushProvider, webhookPushProvider } from './push.js';
import { createTokens } from './tokens.js';
import {
  Problems,
  checkAlgorithm,
  checkDisplayName,
  checkDtmf,
  checkEmail,
  checkPassword,
  checkPhone,
  checkUsername,
  isE164,
  parseSipAddress,
  refuse,
} from './validation.js';

/** Send-by-push attempts one device may make (a delivered token ends them all). */
export const PUSH_ATTEMPTS_PER_DEVICE = 3;
const EMAIL_CODE_TTL_MS = 15 * 60_000;
const EMAIL_CODE_ATTEMPTS = 5;
const PHONE_SERVICE = 'flexisip-phone';

export interface AccountFields {
  username?: string | null;
  password?: string | null;
  algorithm?: string | null;
  domain?: string | null;
  email?: string | null;
  phone?: string | null;
  display_name?: string | null;
  dtmf_protocol?: string | null;
  admin?: boolean | null;
  activated?: boolean | null;
  dictionary?: Record<string, string> | null;
  confirmation_key_expires?: string | null;
  account_creation_token?: string | null;
}

/** An account as answered, with what only its creation or recovery may show. */
export interface AccountAnswer {
  account: SipAccount;
  confirmationKey?: string;
  /** The HA1 per algorithm: only the recovery endpoint answers it, as the spec says. */
  ha1?: Partial<Record<DigestAlgorithm, string>>;
}

export interface FlexisipOptions {
  channels: Channels;
  verifications: Verifications;
  credentials: Credentials;
  push?: PushProvider;
  registrar?: RegistrarControl | null;
}

export function createFlexisip(deps: CoreDeps, options: FlexisipOptions) {
  const { db, config } = deps;
  const { channels, verifications, credentials } = options;
  const access: Access = createAccess(deps);
  const accounts = createSipAccounts(deps);
  const tokens = createTokens(deps);
  const devices = createDevices(deps, options.registrar ?? null);
  const push: PushProvider =
    options.push ?? (config.flexisip.pushWebhookUrl ? webhookPushProvider(config.flexisip.pushWebhookUrl) : outboxPushProvider(db));

  const settings = config.flexisip;
  const answer = (account: SipAccount, extra: Omit<AccountAnswer, 'account'> = {}): AccountAnswer => ({ account, ...extra });

  function dangerous(): void {
    if (!settings.dangerousEndpoints) throw notFound('endpoint');
  }

  /** The domain of a public creation: the one named, else the token's, else the default setting. */
  function publicDomain(named: string | null | undefined, tokenDomain: string | null): string {
    const domain = (named || tokenDomain || settings.defaultDomain)?.toLowerCase();
    if (!domain) refuse('domain', 'The domain field is required (no default registration domain is set).');
    return domain;
  }

  /** The account an Admin acts on: inside the caller's domains, else 404 (never a leak). */
  async function administered(caller: Caller, id: number): Promise<{ account: SipAccount; scope: DomainScope }> {
    const scope = await access.adminScope(caller);
    const account = await accounts.byId(id);
    if (!account || !access.inScope(scope, account.domain)) throw notFound('account');
    return { account, scope };
  }

  async function self(caller: Caller): Promise<SipAccount> {
    const account = await accounts.byId(access.selfOf(caller));
    if (!account) throw notFound('account');
    return account;
  }

  function checkNew(p: Problems, input: AccountFields, usernameRequired = true): boolean {
    checkUsername(p, input.username, usernameRequired);
    checkPassword(p, input.password);
    const algorithmOk = checkAlgorithm(p, input.algorithm);
    checkEmail(p, input.email);
    checkPhone(p, input.phone);
    checkDtmf(p, input.dtmf_protocol);
    checkDisplayName(p, input.display_name);
    return algorithmOk && !p.has('password');
  }

  // ---- tokens -------------------------------------------------------------------------------

  async function createRequestToken() {
    return tokens.issue('request', { domain: settings.defaultDomain });
  }

  async function validateRequestToken(caller: Caller, token: string) {
    await access.adminScope(caller);
    const row = await tokens.live('request', token);
    if (!row) throw notFound('account_creation_request_token');
    await tokens.validate(row.id);
  }

  async function creationTokenFromRequest(requestToken: string) {
    if (!requestToken) refuse('account_creation_request_token', 'The account creation request token field is required.');
    const row = await tokens.live('request', requestToken);
    if (!row || row.validatedAt === null) throw notFound('account_creation_request_token');
    if (!(await tokens.spend(row.id))) throw notFound('account_creation_request_token');
    return tokens.issue('creation', { domain: row.domain });
  }

  async function creationTokenByAdmin(caller: Caller) {
    const scope = await access.adminScope(caller);
    return tokens.issue('creation', { domain: !scope.all && scope.domains.length === 1 ? scope.domains[0] : null });
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
    await tokens.attach(row.id, me.id);
  }

  // ---- API keys ------------------------------------------------------------------------------

  /** A fresh API key for an account; the previous one made here stops working (one key per account). */
  async function freshApiKey(accountId: number): Promise<string> {
    await db.deleteFrom('api_keys').where('account_id', '=', accountId).where('name', '=', 'flexisip').execute();
    return (await credentials.createApiKey(null, { accountId, name: 'flexisip' })).apiKey;
  }

  async function apiKeyForMe(caller: Caller) {
    return freshApiKey((await self(caller)).id);
  }

  async function apiKeyFromAuthToken(token: string) {
    const row = await tokens.live('auth', token);
    if (!row || row.accountId === null) throw notFound('auth_token');
    const account = await accounts.byId(row.accountId);
    if (!account || account.blocked || !(await tokens.spend(row.id))) throw notFound('auth_token');
    return freshApiKey(account.id);
  }

  // ---- public accounts -------------------------------------------------------------------------

  async function createWithToken(input: AccountFields, userAgent: string | null): Promise<AccountAnswer> {
    const p = new Problems();
    const ok = checkNew(p, input);
    const row = input.account_creation_token ? await tokens.live('creation', input.account_creation_token) : undefined;
    if (!input.account_creation_token) p.add('account_creation_token', 'The account creation token field is required.');
    else if (!row) p.add('account_creation_token', 'The account creation token is invalid or expired.');
    const domain = publicDomain(null, row?.domain ?? null);
    await checkUnique(p, domain, input);
    p.check();
    if (!ok || !row) throw new Error('unreachable');
    if (!(await tokens.spend(row.id))) refuse('account_creation_token', 'The account creation token is invalid or expired.');
    const account = await accounts.insert({
      username: input.username!,
      domain,
      password: input.password!,
      algorithm: input.algorithm as DigestAlgorithm,
      dtmfProtocol: input.dtmf_protocol ?? null,
      activated: true,
      userAgent,
    });
    await tokens.attach(row.id, account.id);
    return answer(account);
  }

  async function createPublic(input: AccountFields, userAgent: string | null): Promise<AccountAnswer> {
    dangerous();
    const p = new Problems();
    const username = input.username || input.phone || null;
    const ok = checkNew(p, { ...input, username }, false);
    if (!input.username && !input.phone) p.add('username', 'The username field is required when phone is not present.');
    if (!input.email && !input.phone) p.add('email', 'The email field is required when phone is not present.');
    const row = input.account_creation_token ? await tokens.live('creation', input.account_creation_token) : undefined;
    if (!input.account_creation_token) p.add('account_creation_token', 'The account creation token field is required.');
    else if (!row) p.add('account_creation_token', 'The account creation token is invalid or expired.');
    const domain = publicDomain(input.domain, row?.domain ?? null);
    await checkUnique(p, domain, { ...input, username });
    p.check();
    if (!ok || !row || !username) throw new Error('unreachable');
    if (!(await tokens.spend(row.id))) refuse('account_creation_token', 'The account creation token is invalid or expired.');
    const byPhone = Boolean(input.phone);
    const key = byPhone ? randomString('0123456789', 4) : randomString('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 13);
    const account = await accounts.insert({
      username,
      domain,
      password: input.password!,
      algorithm: input.algorithm as DigestAlgorithm,
      email: input.email ?? null,
      phone: input.phone ?? null,
      activated: false,
      userAgent,
      confirmationKey: key,
    });
    await tokens.attach(row.id, account.id);
    await deliverKey(account, byPhone ? 'sms' : 'email', key, 'creation');
    return answer(account);
  }

  async function deliverKey(account: SipAccount, channel: 'sms' | 'email', key: string, purpose: 'creation' | 'recovery' | 'email change') {
    const to = channel === 'sms' ? account.phone! : account.email!;
    await channels[channel]
      .send({
        channel,
        tenantId: account.tenantId,
        to,
        from: channel === 'email' ? config.smtp?.from ?? `no-reply@${account.domain}` : null,
        subject: channel === 'email' ? `Your ${account.domain} ${purpose} code` : null,
        body: `Your ${account.domain} ${purpose} code is ${key}`,
      })
      .catch(() => undefined);
  }

  async function resolve(sip: string): Promise<SipAccount> {
    const address = parseSipAddress(sip);
    const account = address && (await accounts.bySip(address.username, address.domain));
    if (!account) throw notFound('account');
    return account;
  }

  async function info(sip: string) {
    const account = await resolve(sip);
    return { activated: account.activated, realm: accounts.realmOf(account.domain) };
  }

  /** By phone: the account whose phone it is, else the account named by it in the default domain. */
  async function byPhone(phone: string): Promise<SipAccount> {
    if (!isE164(phone)) refuse('phone', 'The phone must be an E.164 number such as +33612345678.');
    const row = await accounts.query().where('accounts.phone', '=', phone).orderBy('accounts.id').executeTakeFirst();
    if (row) return accounts.toSipAccount(row);
    const named = settings.defaultDomain ? await accounts.bySip(phone, settings.defaultDomain) : undefined;
    if (!named) throw notFound('account');
    return named;
  }

  async function infoByPhone(phone: string) {
    dangerous();
    const account = await byPhone(phone);
    return { activated: account.activated, realm: accounts.realmOf(account.domain), phone: account.phone !== null };
  }

  async function recoverByPhone(input: { phone?: string; account_creation_token?: string }) {
    dangerous();
    const p = new Problems();
    checkPhone(p, input.phone, true);
    const row = input.account_creation_token ? await tokens.live('creation', input.account_creation_token) : undefined;
    if (!input.account_creation_token) p.add('account_creation_token', 'The account creation token field is required.');
    else if (!row) p.add('account_creation_token', 'The account creation token is invalid or expired.');
    p.check();
    const account = await byPhone(input.phone!);
    if (!(await tokens.spend(row!.id, account.id))) refuse('account_creation_token', 'The account creation token is invalid or expired.');
    const key = randomString('0123456789', 4);
    await accounts.setConfirmationKey(account.id, key);
    await deliverKey({ ...account, phone: input.phone! }, 'sms', key, 'recovery');
  }

  async function recoverByKey(sip: string, key: string): Promise<AccountAnswer> {
    dangerous();
    const account = await resolveWithPhone(sip);
    const spent = await accounts.spendConfirmationKey(account, key);
    if (spent === 'wrong') throw notFound('account');
    if (spent === 'expired') throw forbidden('Activation expired');
    if (spent === 'locked') throw forbidden('Too many attempts, try again later');
    const activated = await accounts.setFlags(account.id, { activated: true });
    const ha1: Partial<Record<DigestAlgorithm, string>> = {};
    for (const algorithm of activated.algorithms) ha1[algorithm] = (await accounts.ha1Of(account.id, algorithm)) ?? undefined;
    return answer(activated, { ha1 });
  }

  /** sip:user@domain, or sip:+phone@domain for the account holding that phone. */
  async function resolveWithPhone(sip: string): Promise<SipAccount> {
    const address = parseSipAddress(sip);
    if (!address) throw notFound('account');
    const direct = await accounts.bySip(address.username, address.domain);
    if (direct) return direct;
    const row = await accounts.query().where('accounts.phone', '=', address.username).where('accounts.domain', '=', address.domain).executeTakeFirst();
    if (!row) throw notFound('account');
    return accounts.toSipAccount(row);
  }

  async function activateByKey(sip: string, key: string | undefined, kind: 'email' | 'phone'): Promise<AccountAnswer> {
    const p = new Problems();
    if (!key) p.add('confirmation_key', 'The confirmation key field is required.');
    else if (kind === 'email' ? key.length !== 13 : !/^\d{4}$/.test(key)) {
      p.add('confirmation_key', kind === 'email' ? 'The confirmation key must be 13 characters.' : 'The confirmation key must be 4 digits.');
    }
    p.check();
    const account = await resolve(sip);
    const spent = await accounts.spendConfirmationKey(account, key!);
    if (spent === 'wrong') throw notFound('account');
    if (spent === 'expired') throw forbidden('Activation expired');
    if (spent === 'locked') throw forbidden('Too many attempts, try again later');
    return answer(await accounts.setFlags(account.id, { activated: true }));
  }

  // ---- the account itself ------------------------------------------------------------------

  async function me(caller: Caller): Promise<AccountAnswer> {
    return answer(await self(caller));
  }

  async function provisionMe(caller: Caller): Promise<AccountAnswer> {
    return answer(await accounts.provision((await self(caller)).id));
  }

  async function deleteMe(caller: Caller): Promise<void> {
    await accounts.remove((await self(caller)).id);
  }

  async function changePassword(caller: Caller, input: { algorithm?: string; old_password?: string; password?: string }): Promise<AccountAnswer> {
    const account = await self(caller);
    const p = new Problems();
    const algorithmOk = checkAlgorithm(p, input.algorithm);
    checkPassword(p, input.password);
    if (account.algorithms.length > 0) {
      if (!input.old_password) p.add('old_password', 'The old password field is required.');
      else if (!(await accounts.checkPassword(account, input.old_password))) p.add('old_password', 'The old password is incorrect.');
    }
    p.check();
    if (!algorithmOk) throw new Error('unreachable');
    await accounts.setPassword(account, input.password!, input.algorithm as DigestAlgorithm);
    return answer(await accounts.mustById(account.id));
  }

  async function requestEmailChange(caller: Caller, email: string | undefined): Promise<void> {
    const account = await self(caller);
    const p = new Problems();
    checkEmail(p, email, true);
    await checkUnique(p, account.domain, { email }, account.id);
    p.check();
    const code = randomString('0123456789', 6);
    await putPending(account.id, 'email', email!.toLowerCase(), { code_hash: hashCode(account.id, code), request_id: null });
    await deliverKey({ ...account, email: email! }, 'email', code, 'email change');
  }

  async function confirmEmailChange(caller: Caller, code: string | undefined): Promise<AccountAnswer> {
    const account = await self(caller);
    if (!code) refuse('code', 'The code field is required.');
    const pending = await db.selectFrom('sip_pending_changes').selectAll().where('account_id', '=', account.id).where('kind', '=', 'email').executeTakeFirst();
    if (!pending || Number(pending.expires_at) <= now() || Number(pending.attempts) >= EMAIL_CODE_ATTEMPTS) throw notFound('email change request');
    if (pending.code_hash !== hashCode(account.id, code)) {
      await db.updateTable('sip_pending_changes').set({ attempts: Number(pending.attempts) + 1 }).where('account_id', '=', account.id).where('kind', '=', 'email').execute();
      refuse('code', 'The code is incorrect.');
    }
    await db.deleteFrom('sip_pending_changes').where('account_id', '=', account.id).where('kind', '=', 'email').execute();
    const p = new Problems();
    await checkUnique(p, account.domain, { email: pending.value }, account.id);
    p.check();
    await db.updateTable('accounts').set({ email: pending.value, updated_at: now() }).where('id', '=', account.id).execute();
    return answer(await accounts.mustById(account.id));
  }

  /** The caller's tenant as a one-time-code client: phone codes run through the Smart 2FA core. */
  const tenantCaller = (caller: Caller): Caller => ({ ...caller, accountId: null, role: 'tenant' });

  async function requestPhoneChange(caller: Caller, phone: string | undefined): Promise<void> {
    const account = await self(caller);
    const p = new Problems();
    checkPhone(p, phone, true);
    p.check();
    const { requestId } = await verifications.send(tenantCaller(caller), {
      service: PHONE_SERVICE,
      from: '',
      to: phone!,
      body: `Your ${account.domain} code is {code}`,
      length: 4,
      timeout: 600,
    });
    await putPending(account.id, 'phone', phone!, { code_hash: null, request_id: requestId });
  }

  async function confirmPhoneChange(caller: Caller, code: string | undefined): Promise<AccountAnswer> {
    const account = await self(caller);
    if (!code) refuse('code', 'The code field is required.');
    if (!/^\d{4,10}$/.test(code)) refuse('code', 'The code must be digits.');
    const pending = await db.selectFrom('sip_pending_changes').selectAll().where('account_id', '=', account.id).where('kind', '=', 'phone').executeTakeFirst();
    if (!pending || !pending.request_id) throw notFound('phone change request');
    try {
      await verifications.verify(tenantCaller(caller), { requestId: pending.request_id, code });
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== CommonErrors.validation) refuse('code', err.message === 'Invalid OTP Code' ? 'The code is incorrect.' : `The code cannot be used: ${err.message}.`);
      throw err;
    }
    await db.deleteFrom('sip_pending_changes').where('account_id', '=', account.id).where('kind', '=', 'phone').execute();
    await db.updateTable('accounts').set({ phone: pending.value, activated: 1, updated_at: now() }).where('id', '=', account.id).execute();
    return answer(await accounts.mustById(account.id));
  }

  async function putPending(accountId: number, kind: 'email' | 'phone', value: string, fields: { code_hash: string | null; request_id: string | null }) {
    const row = { value, ...fields, attempts: 0, expires_at: now() + EMAIL_CODE_TTL_MS };
    await db
      .insertInto('sip_pending_changes')
      .values({ account_id: accountId, kind, ...row })
      .onConflict((oc) => oc.columns(['account_id', 'kind']).doUpdateSet(row))
      .execute();
  }

  const hashCode = (accountId: number, code: string) => sha256Hex(`email_change:${accountId}:${code}`);

  async function myDevices(caller: Caller) {
    return devices.list((await self(caller)).id);
  }

  async function removeMyDevice(caller: Caller, uuid: string) {
    await devices.remove(await self(caller), uuid);
  }

  // ---- administration ------------------------------------------------------------------------

  async function checkUnique(p: Problems, domain: string, fields: { username?: string | null; email?: string | null }, exceptId?: number) {
    await accounts.checkUnique(p, domain, fields, exceptId);
  }

  function parseExpiry(p: Problems, value: string | null | undefined): number | null {
    if (value === undefined || value === null || value === '') return null;
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
    const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
    if (!Number.isFinite(t)) p.add('confirmation_key_expires', 'The confirmation key expires must match the format Y-m-d H:i:s.');
    return Number.isFinite(t) ? t : null;
  }

  function checkDictionary(p: Problems, value: unknown): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) return p.add('dictionary', 'The dictionary must be an object of strings.');
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string' || !k || k.length > 191 || v.length > 10_000) return p.add('dictionary', 'The dictionary must be an object of strings.');
    }
  }

  async function adminCreate(caller: Caller, input: AccountFields): Promise<AccountAnswer> {
    const scope = await access.adminScope(caller);
    const p = new Problems();
    const ok = checkNew(p, input);
    checkDictionary(p, input.dictionary);
    const expires = parseExpiry(p, input.confirmation_key_expires);
    let domain = input.domain?.toLowerCase() ?? null;
    if (!domain) {
      if (!scope.all && scope.domains.length === 1) domain = scope.domains[0]!;
      else p.add('domain', 'The domain field is required.');
    } else if (!access.inScope(scope, domain)) {
      if (scope.all) p.add('domain', 'The selected domain is invalid.');
      else throw forbidden('this domain is outside the caller\'s reach');
    }
    if (domain) await checkUnique(p, domain, input);
    p.check();
    if (!ok || !domain) throw new Error('unreachable');
    const activated = input.activated === true;
    const confirmationKey = activated ? undefined : randomString('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 13);
    const account = await accounts.insert({
      username: input.username!,
      domain,
      password: input.password!,
      algorithm: input.algorithm as DigestAlgorithm,
      admin: input.admin === true,
      activated,
      email: input.email ?? null,
      phone: input.phone ?? null,
      displayName: input.display_name ?? null,
      dtmfProtocol: input.dtmf_protocol ?? null,
      dictionary: input.dictionary ?? null,
      confirmationKeyExpires: activated ? null : expires,
      confirmationKey,
    });
    return answer(account, confirmationKey ? { confirmationKey } : {});
  }

  /** PUT replaces: password and algorithm are required, an omitted optional field is cleared. */
  async function adminUpdate(caller: Caller, id: number, input: AccountFields): Promise<AccountAnswer> {
    const { account } = await administered(caller, id);
    const p = new Problems();
    const ok = checkNew(p, input);
    await checkUnique(p, account.domain, input, account.id);
    p.check();
    if (!ok) throw new Error('unreachable');
    const username = input.username!;
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('accounts')
        .set({
          username,
          email: input.email?.toLowerCase() ?? null,
          phone: input.phone ?? null,
          display_name: input.display_name ?? null,
          role: input.admin ? 'sipadmin' : 'sip',
          updated_at: now(),
        })
        .where('id', '=', account.id)
        .execute();
      await trx
        .updateTable('sip_accounts')
        .set({ ...accounts.sealedPassword(account.id, username, account.domain, input.password!, input.algorithm as DigestAlgorithm), dtmf_protocol: input.dtmf_protocol ?? null })
        .where('account_id', '=', account.id)
        .execute();
    }).catch((err) => {
      if ((err as { code?: string }).code === '23505' || String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) {
        refuse('username', 'The username or email has already been taken.');
      }
      throw err;
    });
    return answer(await accounts.mustById(account.id));
  }

  async function adminList(caller: Caller, page: number, perPage = 20) {
    const scope = await access.adminScope(caller);
    let base = db.selectFrom('accounts').where('role', 'in', ['sip', 'sipadmin']);
    if (!scope.all) base = scope.domains.length ? base.where('domain', 'in', scope.domains) : base.where('id', '<', 0);
    const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const ids = await base.select('id').orderBy('id').limit(perPage).offset((page - 1) * perPage).execute();
    const items: SipAccount[] = [];
    for (const r of ids) {
      const a = await accounts.byId(Number(r.id));
      if (a) items.push(a);
    }
    return { items, total, page, perPage };
  }

  async function adminGet(caller: Caller, id: number): Promise<AccountAnswer> {
    return answer((await administered(caller, id)).account);
  }

  async function adminSearch(caller: Caller, sip: string): Promise<AccountAnswer> {
    const scope = await access.adminScope(caller);
    const address = parseSipAddress(sip);
    const account = address && (await accounts.bySip(address.username, address.domain));
    if (!account || !access.inScope(scope, account.domain)) throw notFound('account');
    return answer(account);
  }

  async function adminSearchByEmail(caller: Caller, email: string): Promise<AccountAnswer> {
    const scope = await access.adminScope(caller);
    let q = accounts.query().where('accounts.email', '=', email.toLowerCase()).where('accounts.role', 'in', ['sip', 'sipadmin']);
    if (!scope.all) q = scope.domains.length ? q.where('accounts.domain', 'in', scope.domains) : q.where('accounts.id', '<', 0);
    const row = await q.orderBy('accounts.id').executeTakeFirst();
    if (!row) throw notFound('account');
    return answer(await accounts.toSipAccount(row));
  }

  async function adminDelete(caller: Caller, id: number): Promise<void> {
    const { account } = await administered(caller, id);
    await accounts.remove(account.id);
  }

  async function adminSetFlags(caller: Caller, id: number, flags: { activated?: boolean; blocked?: boolean }): Promise<AccountAnswer> {
    const { account } = await administered(caller, id);
    return answer(await accounts.setFlags(account.id, flags));
  }

  async function adminProvision(caller: Caller, id: number): Promise<AccountAnswer> {
    const { account } = await administered(caller, id);
    return answer(await accounts.provision(account.id));
  }

  return {
    accounts,
    devices,
    access,
    createRequestToken,
    validateRequestToken,
    creationTokenFromRequest,
    creationTokenByAdmin,
    sendByPush,
    createAuthToken,
    attachAuthToken,
    apiKeyForMe,
    apiKeyFromAuthToken,
    createWithToken,
    createPublic,
    info,
    infoByPhone,
    recoverByPhone,
    recoverByKey,
    activateByKey,
    me,
    provisionMe,
    deleteMe,
    changePassword,
    requestEmailChange,
    confirmEmailChange,
    requestPhoneChange,
    confirmPhoneChange,
    myDevices,
    removeMyDevice,
    adminCreate,
    adminUpdate,
    adminList,
    adminGet,
    adminSearch,
    adminSearchByEmail,
    adminDelete,
    adminSetFlags,
    adminProvision,
  };
}


export type Flexisip = ReturnType<typeof createFlexisip>;
