/**
 * The Public account endpoints: creation with a token, public information, activation by key, and the
 * deprecated unsecure ones (404 unless GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS).
 */
import { randomString } from '../crypto.js';
import { forbidden, notFound } from '../errors.js';
import type { DigestAlgorithm } from '../sip/digest.js';
import type { SipAccount } from './accounts.js';
import type { AccountAnswer, AccountFields, FlexisipContext } from './common.js';
import { Problems, checkPhone, isE164, parseSipAddress, refuse } from './validation.js';

export function createPublicAccounts(ctx: FlexisipContext) {
  const { accounts, tokens, settings, answer, dangerous, publicDomain, checkNew, checkUnique, deliverKey } = ctx;

  async function createWithToken(input: AccountFields, userAgent: string | null): Promise<AccountAnswer> {
    const p = new Problems();
    const ok = checkNew(p, input);
    const row = input.account_creation_token ? await tokens.live('creation', input.account_creation_token) : undefined;
    if (!input.account_creation_token) p.add('account_creation_token', 'The account creation token field is required.');
    else if (!row) p.add('account_creation_token', 'The account creation token is invalid or expired.');
    // The page has no domain parameter: the token knows it. Only a live token is asked for one, so that
    // a bogus or spent token is answered as such, never as a missing domain.
    const domain = row ? tokenDomain(p, row.domain) : null;
    await checkUnique(p, domain ?? (await guessedDomain()), input);
    p.check();
    if (!ok || !row || !domain) throw new Error('unreachable');
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

  /**
   * Without a live token, the domain the account would most likely land in (the default one, else the
   * deployment's only one), so that a taken username is still named, as upstream does; '' when unknown.
   */
  async function guessedDomain(): Promise<string> {
    return settings.defaultDomain ?? (await accounts.soleDomain()) ?? '';
  }

  /** A live token's domain, else the default one; a 422 on the token when it names none and none is set. */
  function tokenDomain(p: Problems, domain: string | null): string | null {
    const found = (domain || settings.defaultDomain)?.toLowerCase() ?? null;
    if (!found) p.add('account_creation_token', 'The account creation token names no domain and no default registration domain is set.');
    return found;
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
    const domain = row ? publicDomain(input.domain, row.domain) : null;
    await checkUnique(p, domain ?? (await guessedDomain()), { ...input, username });
    p.check();
    if (!ok || !row || !username || !domain) throw new Error('unreachable');
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

  return { createWithToken, createPublic, info, infoByPhone, recoverByPhone, recoverByKey, activateByKey };
}
