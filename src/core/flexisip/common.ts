/**
 * What the SIP account flows share: their dependencies, and the checks every one of them makes
 * (whose account it is, which domain a public creation lands in, the fields of a new account).
 */
import type { Channels } from '../core.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import type { Credentials } from '../credentials/credentials.js';
import { notFound } from '../errors.js';
import { channelAccepts, classify } from '../fraud/number-class.js';
import type { DigestAlgorithm } from '../sip/digest.js';
import type { Verifications } from '../verifications/verifications.js';
import { type Access, type DomainScope, createAccess } from './access.js';
import { type SipAccount, createSipAccounts } from './accounts.js';
import { type RegistrarControl, createDevices } from './devices.js';
import { type PushProvider, outboxPushProvider, webhookPushProvider } from './push.js';
import { createTokens } from './tokens.js';
import { Problems, checkAlgorithm, checkDisplayName, checkDtmf, checkEmail, checkPassword, checkPhone, checkUsername, refuse } from './validation.js';

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

export type FlexisipContext = ReturnType<typeof createContext>;

export function createContext(deps: CoreDeps, options: FlexisipOptions) {
  const { db, config } = deps;
  const { channels } = options;
  const access: Access = createAccess(deps);
  const accounts = createSipAccounts(deps);
  const tokens = createTokens(deps);
  const devices = createDevices(deps, options.registrar ?? null);
  const push: PushProvider =
    options.push ?? (config.flexisip.pushWebhookUrl ? webhookPushProvider(config.flexisip.pushWebhookUrl) : outboxPushProvider(db));
  const settings = config.flexisip;
  const answer = (account: SipAccount, extra: Omit<AccountAnswer, 'account'> = {}): AccountAnswer => ({ account, ...extra });

  /** Upstream's blacklist rule (and its answer, the same as for a taken username). */
  const isBlacklisted = (username: string) => settings.blacklistedUsernames.some((entry) => (typeof entry === 'string' ? entry === username : entry.test(username)));

  function dangerous(): void {
    if (!settings.dangerousEndpoints) throw notFound('endpoint');
  }

  /**
   * The domain of a public creation: the token's (the domain of the admin who made it), else the
   * default setting. A body may name it, never another: a token made by one tenant's admin must not
   * open an account in another tenant's domain.
   */
  function publicDomain(named: string | null | undefined, tokenDomain: string | null): string {
    const domain = (tokenDomain || settings.defaultDomain)?.toLowerCase();
    if (!domain) refuse('domain', 'The domain field is required (no default registration domain is set).');
    if (named && named.toLowerCase() !== domain) refuse('domain', 'The selected domain is invalid.');
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
    const account = await accounts.ownById(access.selfOf(caller));
    if (!account) throw notFound('account');
    return account;
  }

  function checkNew(p: Problems, input: AccountFields, usernameRequired = true): boolean {
    checkUsername(p, input.username, usernameRequired);
    if (typeof input.username === 'string' && !p.has('username') && isBlacklisted(input.username)) p.add('username', 'Username already used.');
    checkPassword(p, input.password);
    const algorithmOk = checkAlgorithm(p, input.algorithm);
    checkEmail(p, input.email);
    checkPhone(p, input.phone);
    checkDtmf(p, input.dtmf_protocol);
    checkDisplayName(p, input.display_name);
    return algorithmOk && !p.has('password');
  }

  async function checkUnique(p: Problems, domain: string, fields: { username?: string | null; email?: string | null }, exceptId?: number) {
    await accounts.checkUnique(p, domain, fields, exceptId);
  }

  async function deliverKey(account: SipAccount, channel: 'sms' | 'email', key: string, purpose: 'creation' | 'recovery' | 'email change') {
    const to = channel === 'sms' ? account.phone! : account.email!;
    // No key goes by SMS to a number the fraud guard refuses (premium rate, invalid…); the answer stays the same.
    if (channel === 'sms' && !channelAccepts('sms', classify(to).kind)) return;
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

  return {
    deps,
    db,
    config,
    settings,
    options,
    access,
    accounts,
    tokens,
    devices,
    push,
    answer,
    dangerous,
    publicDomain,
    administered,
    self,
    checkNew,
    checkUnique,
    deliverKey,
  };
}
