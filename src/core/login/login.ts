/**
 * The Comm100 login flow. login() checks email + password (argon2id) and answers the next step:
 * set up 2FA, present a code, or nothing (then a JWT). When a step remains it issues a
 * preLoginToken: an opaque random token whose sha256 is stored with its account, step, attempt
 * count and expiry, so every node sees the same tries. endLogin() spends it for a JWT once a TOTP
 * or backup code (or, during setup, the new secret and its first code) proves the second factor.
 *
 * Rules (specs/README.md): a preLoginToken lives 5 minutes ("Timeout") and allows 5 codes
 * ("Number of retries exceeded"); each try is reserved by one conditional UPDATE before the code
 * is checked, so concurrent tries cannot exceed 5. 10 consecutive second-factor failures of an
 * account lock it for 15 minutes ("account locked"); each code reserves its place in that count
 * before it is checked too, so concurrent guesses cannot exceed 10 either (lock.ts). Password failures are audited
 * but do not count toward the lock: whoever knows an email could otherwise lock its owner out.
 *
 * Password guessing is limited instead by two token buckets taken before any argon2 work (which
 * costs 19 MiB and tens of milliseconds, so an unlimited stream of guesses is also a CPU lever):
 * one per client address, and one for the email. The email's bucket is shared by every untrusted
 * client, whether or not an account has the email (so a refusal says nothing about it); a browser
 * carrying a device cookie of that email (device-cookies.ts, set by every password success) takes
 * from a bucket of its own instead, so whoever empties the untrusted clients' bucket to lock the
 * owner out does not lock out the browser the owner signed in with before. Buckets live in shared
 * state, so the limits hold across nodes. docs/security.md, "Guessing limits and lock-out defence".
 */
import type { Audit } from '../audit/audit.js';
import type { BucketSpec, Buckets } from '../../state/buckets.js';
import { verifyPassword } from '../accounts/passwords.js';
import { type Caller, SITE_AGENT_ROLES } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import type { Credentials } from '../credentials/credentials.js';
import { newToken, now, sha256Hex } from '../crypto.js';
import { CommonErrors, GatehouseError, invalid, notFound } from '../errors.js';
import type { TrustedDevices } from '../trusted-devices/trusted-devices.js';
import { TwoFactorErrors } from '../twofactor/errors.js';
import type { TwoFactor } from '../twofactor/twofactor.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { phishingResistantRequired } from '../passkeys/errors.js';
import type { Passkeys } from '../passkeys/passkeys.js';
import type { DeviceCookies } from './device-cookies.js';
import { accountLocked, badCredentials, badPreLoginToken, codeVerifyFailed, loginTimeout, passwordRateLimited, retriesExceeded } from './errors.js';
import type { Events } from '../events/events.js';
import { createLoginLock } from './lock.js';
import { type Opening, type Outcome, loginQueries } from './queries.js';

export const MAX_CODE_ATTEMPTS = 5;
export const PRE_LOGIN_TOKEN_PREFIX = 'ghp_';

export type NextStep = 'isNeed2faSetup' | 'isNeed2faVerify' | 'noNeed';

export interface LoginInput {
  /** Absent (the sign-in page): the partner is found from the email, once a password matches (findByEmail). */
  partnerId?: number;
  siteId?: number;
  email: string;
  password: string;
  /** A trusted device's token, from the body or the cookie. */
  verifiedToken?: string;
  /** The browser's device cookie (device-cookies.ts), when it sent one. */
  deviceToken?: string;
  clientAddress: string | null;
}

export interface LoginResult {
  nextStep: NextStep;
  isShowSkip2fa: boolean;
  preLoginToken?: string;
  secretKey?: string;
  otpauthUrl?: string;
  /** The otpauthUrl's QR code as a PNG data URL (setup only). */
  qrcodeUrl?: string;
  /** An agent: the sites of the partner where this email is an agent; a super agent: the partner's sites. */
  siteIds: number[];
  /** The account never completed a login before. */
  isFirstLogin: boolean;
  /** Whole days left of the trusted device that let this login skip 2FA; 0 when none did. */
  trustedDeviceDays: number;
  jwtToken?: string;
  expiresAt?: number;
  /** isNeed2faVerify for an account with passkeys: the WebAuthn assertion options of this login (endlogin takes the assertion). */
  passkeyOptions?: PublicKeyCredentialRequestOptionsJSON;
  /** The site is phishing-resistant only and the account has no passkey yet: it must register one now (docs/passkeys.md). */
  passkeyRegistrationRequired?: boolean;
  /** A new device cookie for this browser: the password was right. */
  deviceToken: string;
  deviceTokenExpiresAt: number;
  accountId: number;
  email: string;
  siteId: number | null;
  partnerId: number;
  role: 'agent' | 'superagent';
}

export interface EndLoginInput {
  preLoginToken: string;
  /** A TOTP or backup code; ignored when an assertion is given. */
  code: string;
  /** A passkey's WebAuthn assertion (AuthenticationResponseJSON) in place of the code. */
  assertion?: unknown;
  secretKey?: string;
  /** isSKip2fa: trust this device for 14 days (honoured under 2FARequirement 1 only). */
  trustDevice: boolean;
  clientAddress: string | null;
  userAgent: string | null;
}

export interface EndLoginResult {
  accountId: number;
  jwtToken: string;
  expiresAt: number;
  verifiedToken?: string;
  verifiedTokenExpiresAt?: number;
}

export interface LoginAccount {
  id: number;
  tenantId: number;
  parentId: number | null;
  role: 'agent' | 'superagent';
}

/** step: the TOTP step a right TOTP code matched, for the outcome to claim (null when the code was not one, or setup claimed it). */
type Method = 'totp' | 'backup_code' | 'passkey';
type CodeCheck = { ok: true; method: Method; step: number | null } | { ok: false; method: Method; reason: string };

/** A site administrator signs in as the agent it is. */
const loginRole = (role: string): 'agent' | 'superagent' => (role === 'superagent' ? 'superagent' : 'agent');

/** The claims of a login's JWT: an agent's site and partner, a super agent's partner. */
export const claimsOf = (a: LoginAccount) =>
  a.role === 'agent' ? { role: a.role, siteId: a.tenantId, partnerId: a.parentId } : { role: a.role, partnerId: a.tenantId };

const TOTP_SHAPE = /^\d{6}$/;

/** A passkey assertion presented in place of a code, with the login it answers. */
interface Assertion {
  assertion: unknown;
  preLoginToken: string;
  clientAddress: string | null;
}

export type Login = ReturnType<typeof createLogin>;

export function createLogin(deps: CoreDeps, parts: { twoFactor: TwoFactor; credentials: Credentials; trustedDevices: TrustedDevices; audit: Audit; buckets: Buckets; devices: DeviceCookies; passkeys: Passkeys; events?: Events }) {
  const { db, config, metrics } = deps;
  const { twoFactor, credentials, trustedDevices, audit, buckets, devices, passkeys } = parts;
  const lock = createLoginLock(deps.statements, audit, config.login.lockMs, parts.events);
  const queries = loginQueries(deps.statements, deps.dialect, MAX_CODE_ATTEMPTS);

  const byEmail = (email: string) =>
    db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select(['accounts.id', 'accounts.tenant_id', 'accounts.role', 'accounts.password_hash', 'accounts.blocked', 'accounts.activated', 'accounts.email', 'accounts.first_login_at', 'tenants.parent_id'])
      .where('accounts.email', '=', email.trim().toLowerCase());
  type AccountRow = NonNullable<Awaited<ReturnType<ReturnType<typeof byEmail>['executeTakeFirst']>>>;

  /**
   * Without a partner id: the email's sign-in accounts (a site's agents when a site id is given) are
   * candidates, and the partner is taken only from those whose password matches, and only when they
   * are all one partner's. Nothing about the candidates shows before a password matched, and an
   * ambiguous email fails like a wrong password (the one uniform message).
   */
  async function findByEmail(input: LoginInput): Promise<{ row: AccountRow | undefined; passwordOk: boolean }> {
    let q = byEmail(input.email);
    q = input.siteId !== undefined ? q.where('accounts.role', 'in', SITE_AGENT_ROLES).where('accounts.tenant_id', '=', input.siteId) : q.where('accounts.role', 'in', ['superagent', ...SITE_AGENT_ROLES]);
    // A bound on the hashes one try may cost; an email shared by more partners than this needs its partner id.
    const rows = await q.orderBy('accounts.role', 'desc').orderBy('accounts.id').limit(5).execute();
    if (!rows.length) return { row: undefined, passwordOk: await verifyPassword(null, input.password) };
    const matching: AccountRow[] = [];
    for (const r of rows) if (await verifyPassword(r.password_hash, input.password)) matching.push(r);
    const partners = new Set(matching.map((r) => String(r.role === 'superagent' ? r.tenant_id : r.parent_id)));
    if (partners.size === 1) return { row: matching[0], passwordOk: true };
    // One candidate and a wrong password: audited as that account's failure, as with a partner id.
    return { row: rows.length === 1 ? rows[0] : undefined, passwordOk: false };
  }

  async function findAccount(input: LoginInput & { partnerId: number }) {
    let q = byEmail(input.email);
    q =
      input.siteId !== undefined
        ? q.where('accounts.role', 'in', SITE_AGENT_ROLES).where('accounts.tenant_id', '=', input.siteId).where('tenants.parent_id', '=', input.partnerId)
        : q.where((eb) =>
            eb.or([
              eb.and([eb('accounts.role', '=', 'superagent'), eb('accounts.tenant_id', '=', input.partnerId)]),
              eb.and([eb('accounts.role', 'in', SITE_AGENT_ROLES), eb('tenants.parent_id', '=', input.partnerId)]),
            ]),
          );
    // Without a siteId the partner's super agent comes first, then the agent of the lowest id.
    return q.orderBy('accounts.role', 'desc').orderBy('accounts.id').limit(1).executeTakeFirst();
  }

  /**
   * A new preLoginToken for an account whose password was checked (the only time the token is
   * seen). Internal: login() calls it; benchmarks call it to leave password hashing out.
   */
  async function issuePreLoginToken(account: LoginAccount, step: 'setup' | 'verify', mayTrustDevice: boolean, clientAddress: string | null): Promise<string> {
    const preLoginToken = newToken(PRE_LOGIN_TOKEN_PREFIX);
    const t = now();
    await db
      .insertInto('pre_login_tokens')
      .values({
        token_hash: sha256Hex(preLoginToken),
        account_id: account.id,
        step,
        tenant_id: account.tenantId,
        role: account.role,
        parent_tenant_id: account.parentId,
        attempts: 0,
        may_trust_device: mayTrustDevice ? 1 : 0,
        client_address: clientAddress,
        created_at: t,
        expires_at: t + config.login.preLoginTtlMs,
      })
      .execute();
    return preLoginToken;
  }

  /**
   * Takes a password try from the client address's bucket and from the email's untrusted-clients
   * bucket, or, for a browser with a device cookie of this email, from that device's own bucket;
   * or refuses (and audits) the login.
   */
  async function takePasswordTry(input: LoginInput): Promise<void> {
    const email = input.email.trim().toLowerCase();
    const device = devices.deviceOf(input.deviceToken, email);
    const specs: BucketSpec[] = [
      device ? { key: `login-device:${device}`, ...config.loginRate.account } : { key: `login-email:${sha256Hex(email)}`, ...config.loginRate.account },
    ];
    if (input.clientAddress) specs.push({ key: `login-address:${input.clientAddress}`, ...config.loginRate.address });
    const taken = await buckets.take(specs);
    if (taken.ok) return;
    metrics.signIn('rate_limited', 'password');
    const spec = specs[taken.index]!;
    // An empty bucket holds a token again within one token's drip time.
    const retryAfter = Math.max(1, Math.ceil(spec.intervalMs / spec.max / 1000));
    const partnerId = input.partnerId;
    const row = partnerId === undefined ? undefined : await findAccount({ ...input, partnerId });
    const tenantId = row ? Number(row.tenant_id) : partnerId === undefined ? undefined : (await db.selectFrom('tenants').select('id').where('id', '=', partnerId).executeTakeFirst())?.id;
    if (tenantId !== undefined) {
      await audit.record({
        tenantId: Number(tenantId),
        accountId: row ? Number(row.id) : null,
        event: 'login_rate_limited',
        clientAddress: input.clientAddress,
        detail: { limit: taken.index === 0 ? (device ? 'device' : 'email') : 'client address', retryAfter },
      });
    }
    throw passwordRateLimited(retryAfter);
  }

  async function login(input: LoginInput): Promise<LoginResult> {
    await takePasswordTry(input);
    const partnerId = input.partnerId;
    // verifyPassword hashes against a decoy when there is no account, so timing tells nothing.
    const { row, passwordOk } =
      partnerId === undefined
        ? await findByEmail(input)
        : await findAccount({ ...input, partnerId }).then(async (found) => ({ row: found, passwordOk: await verifyPassword(found?.password_hash ?? null, input.password) }));
    if (!row || !passwordOk || row.blocked || !row.activated) {
      if (row) {
        await audit.record({
          tenantId: Number(row.tenant_id),
          accountId: Number(row.id),
          event: 'login_password_failure',
          clientAddress: input.clientAddress,
          detail: { reason: passwordOk ? 'account blocked or not activated' : 'wrong password' },
        });
      }
      metrics.signIn('failure', 'password');
      throw badCredentials();
    }
    const account: LoginAccount = {
      id: Number(row.id),
      tenantId: Number(row.tenant_id),
      parentId: row.parent_id === null ? null : Number(row.parent_id),
      role: loginRole(row.role),
    };
    // The password was right: this browser earns (or renews) its device cookie, whatever step follows.
    const device = devices.issue(input.email.trim().toLowerCase());
    const [config2fa, requirement, siteIds, passkeyCount, phishingResistant] = await Promise.all([
      twoFactor.getConfig(account.id),
      twoFactor.siteRequirement(account.tenantId),
      sitesOf(account, row.email ?? input.email),
      passkeys.count(account.id),
      passkeys.phishingResistant(account.tenantId),
    ]);
    const base = {
      deviceToken: device.token,
      deviceTokenExpiresAt: device.expiresAt,
      siteIds,
      isFirstLogin: row.first_login_at == null,
      trustedDeviceDays: 0,
      accountId: account.id,
      email: row.email ?? input.email,
      siteId: account.role === 'agent' ? account.tenantId : null,
      partnerId: account.role === 'agent' ? (account.parentId ?? input.partnerId ?? account.tenantId) : account.tenantId,
      role: account.role,
      isShowSkip2fa: requirement === 1,
    };
    let step: 'setup' | 'verify' | null = null;
    const hasPasskey = passkeyCount > 0 && passkeys.enabled();
    if (config2fa || hasPasskey) {
      // An agent with a passkey and no TOTP is asked for the passkey, not sent to TOTP setup. A
      // phishing-resistant site takes no trusted device instead (its token is a bearer cookie).
      const trustedUntil = requirement === 1 && !phishingResistant ? await trustedDevices.trustedUntil(account.id, input.verifiedToken) : null;
      if (trustedUntil === null) step = 'verify';
      else base.trustedDeviceDays = Math.ceil((trustedUntil - now()) / 86_400_000);
    } else if (requirement !== null) {
      step = 'setup';
    }
    // Phishing-resistant only, and no passkey yet (a new account, or after an admin's reset): this sign-in must register one.
    const registration = phishingResistant && !hasPasskey ? { passkeyRegistrationRequired: true } : {};
    if (phishingResistant) base.isShowSkip2fa = false;
    if (step === null) {
      metrics.signIn('success', base.trustedDeviceDays > 0 ? 'trusted_device' : 'password');
      const [jwt] = await Promise.all([
        credentials.signJwt(account.id, claimsOf(account)),
        signedIn(account.id),
        // No code step ends this sign-in, so nothing else records it: the account's recent activity shows it.
        audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'login_success', clientAddress: input.clientAddress, detail: { via: base.trustedDeviceDays > 0 ? 'trusted_device' : 'password' } }),
      ]);
      return { ...base, ...registration, nextStep: 'noNeed', isShowSkip2fa: false, jwtToken: jwt.token, expiresAt: jwt.expiresAt };
    }
    const preLoginToken = await issuePreLoginToken(account, step, base.isShowSkip2fa, input.clientAddress);
    // Expired tokens are kept an hour (so they answer "Timeout", not "not valid"), then dropped.
    await db.deleteFrom('pre_login_tokens').where('expires_at', '<', now() - 3_600_000).execute();
    if (step === 'verify') {
      const passkeyOptions = hasPasskey ? await passkeys.secondFactorOptions(account.id, preLoginToken) : null;
      return { ...base, ...registration, nextStep: 'isNeed2faVerify', preLoginToken, ...(passkeyOptions && { passkeyOptions }) };
    }
    const secret = await twoFactor.newSecretFor(account.id);
    const qrcodeUrl = await twoFactor.qrcodeUrl(secret.otpauthUrl);
    return { ...base, ...registration, nextStep: 'isNeed2faSetup', preLoginToken, secretKey: secret.secretKey, otpauthUrl: secret.otpauthUrl, qrcodeUrl };
  }

  /** Comm100's siteIds: the sites where this email is an agent of the partner, or a super agent's partner's sites. */
  async function sitesOf(account: LoginAccount, email: string): Promise<number[]> {
    const rows =
      account.role === 'agent'
        ? await db
            .selectFrom('accounts')
            .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
            .select('accounts.tenant_id as id')
            .where('accounts.email', '=', email)
            .where('accounts.role', 'in', SITE_AGENT_ROLES)
            .where('tenants.parent_id', '=', account.parentId)
            .orderBy('accounts.tenant_id')
            .execute()
        : await db.selectFrom('tenants').select('id').where('parent_id', '=', account.tenantId).orderBy('id').execute();
    return rows.map((r) => Number(r.id));
  }

  /** The first completed login is remembered (Comm100's isFirstLogin); later ones change nothing. */
  async function signedIn(accountId: number): Promise<void> {
    await db.updateTable('accounts').set({ first_login_at: now() }).where('id', '=', accountId).where('first_login_at', 'is', null).execute();
  }

  /** Checks a TOTP or backup code (or, during setup, saves the new secret its code proves). */
  async function checkCode(accountId: number, step: string, code: string, secretKey: string | undefined, opened: Opening | null, passkey: Assertion | null): Promise<CodeCheck> {
    if (passkey) {
      const result = await passkeys.verifySecondFactor(accountId, passkey.preLoginToken, passkey.assertion, passkey.clientAddress);
      return result.ok ? { ok: true, method: 'passkey', step: null } : { ok: false, method: 'passkey', reason: result.reason };
    }
    const clean = code.replace(/\s/g, '');
    if (step === 'setup') {
      if (!secretKey) throw invalid('secretKey', 'is required to set up 2FA');
      try {
        await twoFactor.saveConfig(accountId, secretKey, clean);
        return { ok: true, method: 'totp', step: null };
      } catch (err) {
        if (err instanceof GatehouseError && err.code === TwoFactorErrors.codeVerifyFailed) return { ok: false, method: 'totp', reason: 'invalid' };
        throw err;
      }
    }
    if (TOTP_SHAPE.test(clean)) {
      const config = opened ? opened.config : await queries.config(accountId);
      if (!config) return { ok: false, method: 'totp', reason: 'no_config' };
      const result = await twoFactor.acceptTotp(accountId, config, clean);
      return typeof result === 'number' ? { ok: true, method: 'totp', step: result } : { ok: false, method: 'totp', reason: result };
    }
    return (await twoFactor.useBackupCode(accountId, code)) ? { ok: true, method: 'backup_code', step: null } : { ok: false, method: 'backup_code', reason: 'invalid' };
  }

  /**
   * Checks a code under the account lock: reserves the try's place in the run of failures (the
   * endlogin's opening already did), checks, records the outcome. Answers the check and whether it
   * spent the opening's token, or throws "account locked".
   */
  async function checkUnderLock(
    account: LoginAccount | { id: number; tenantId: number },
    step: string,
    code: string,
    secretKey: string | undefined,
    via: string,
    clientAddress: string | null,
    opened: (Opening & { tokenHash: string; at: number }) | null,
    passkey: Assertion | null = null,
  ): Promise<{ check: CodeCheck; spent: boolean }> {
    const reservation = opened ? await lock.settle(account, opened.lock, opened.at, clientAddress) : await lock.reserve(account, clientAddress);
    if (reservation.locked) {
      metrics.signIn('locked', passkey ? 'passkey' : TOTP_SHAPE.test(code.replace(/\s/g, '')) || step === 'setup' ? 'totp' : 'backup_code');
      throw accountLocked(reservation.lockedUntil);
    }
    let check: CodeCheck;
    try {
      check = await checkCode(account.id, step, code, secretKey, opened, passkey);
    } catch (err) {
      await lock.release(account.id);
      throw err;
    }
    const who = { accountId: account.id, tenantId: account.tenantId, clientAddress, now: now() };
    let spent = false;
    if (check.ok) {
      const events: Outcome['events'] = [{ event: 'verify_success', detail: { method: check.method, via } }];
      if (check.method === 'backup_code') events.push({ event: 'backup_code_used', detail: { via } });
      if (step === 'setup') events.push({ event: 'setup', detail: { via } });
      const done = await queries.succeed({ ...who, step: check.step, tokenHash: opened?.tokenHash ?? null, events });
      // Another request took this step after our check read the config: a replay after all.
      if (!done.accepted) check = { ok: false, method: 'totp', reason: 'replayed' };
      spent = done.spent;
    }
    metrics.signIn(check.ok ? 'success' : 'failure', check.method);
    if (check.ok) {
      if (check.method === 'totp') metrics.totpUsed();
      else if (check.method === 'backup_code') metrics.backupCodeUsed();
    }
    if (!check.ok) {
      await queries.failed(who, { method: check.method, reason: check.reason, via });
      const lockedUntil = await lock.fail(account, reservation.place, clientAddress);
      if (lockedUntil !== null) {
        metrics.loginLocked();
        throw accountLocked(lockedUntil);
      }
    }
    return { check, spent };
  }

  async function endLogin(input: EndLoginInput): Promise<EndLoginResult> {
    const tokenHash = sha256Hex(input.preLoginToken);
    const t = now();
    const opened = await queries.open(tokenHash, t);
    if (!opened) {
      const expiresAt = await queries.seen(tokenHash);
      if (expiresAt === null) throw badPreLoginToken();
      if (expiresAt <= t) throw loginTimeout();
      throw retriesExceeded();
    }
    const row = opened.token;
    const account: LoginAccount = {
      id: Number(row.account_id),
      tenantId: Number(row.tenant_id),
      parentId: row.parent_tenant_id == null ? null : Number(row.parent_tenant_id),
      role: loginRole(row.role),
    };
    let outcome: { check: CodeCheck; spent: boolean };
    try {
      const passkey = input.assertion !== undefined && input.assertion !== null ? { assertion: input.assertion, preLoginToken: input.preLoginToken, clientAddress: input.clientAddress } : null;
      // Phishing-resistant only: an account with a passkey signs in with it; its backup code stays a way to recover.
      if (!passkey && row.step === 'verify' && TOTP_SHAPE.test(input.code.replace(/\s/g, '')) && (await passkeys.phishingResistant(account.tenantId)) && (await passkeys.count(account.id)) > 0) {
        throw phishingResistantRequired();
      }
      outcome = await checkUnderLock(account, row.step, input.code, input.secretKey, 'endlogin', input.clientAddress, { ...opened, tokenHash, at: t }, passkey);
    } catch (err) {
      // A malformed request is not a guess: give its try back.
      if (err instanceof GatehouseError && (err.code === CommonErrors.validation || err.code === 'phishing_resistant_required')) await queries.giveBack(tokenHash);
      throw err;
    }
    if (!outcome.check.ok) throw codeVerifyFailed(MAX_CODE_ATTEMPTS - Number(row.attempts));
    // The token is spent: of two concurrent successes only the one that deleted it gets a JWT.
    if (!outcome.spent) throw badPreLoginToken();
    const jwt = await credentials.signJwt(account.id, claimsOf(account));
    const result: EndLoginResult = { accountId: account.id, jwtToken: jwt.token, expiresAt: jwt.expiresAt };
    if (input.trustDevice && Number(row.may_trust_device) === 1) {
      const device = await trustedDevices.issue(account, input.clientAddress, input.userAgent);
      result.verifiedToken = device.token;
      result.verifiedTokenExpiresAt = device.expiresAt;
    }
    return result;
  }

  /**
   * v1's verify of an account's code (`agentid` / `partneruserid` + `code`), for a caller that
   * manages the account (a login service holding an API key or JWT). The same lock, replay rule and
   * audit apply as to endLogin; answers whether the code was right.
   */
  async function verifyForAccount(caller: Caller, accountId: number, code: string, clientAddress: string | null): Promise<boolean> {
    const target = await twoFactor.manage.account(caller, accountId, 'any');
    const { check } = await checkUnderLock({ id: target.id, tenantId: target.tenantId }, 'verify', code, undefined, 'verify', clientAddress, null);
    return check.ok;
  }

  /** An operator (admin or the account's tenant) lifts an account's lock. */
  async function unlock(caller: Caller, account: { id: number; tenantId: number }, clientAddress: string | null = null): Promise<boolean> {
    requireCapability(caller, 'accounts.manage');
    return lock.unlock(account, clientAddress, caller.accountId);
  }

  /** The operator's unlock (command line): no caller, the account by id. */
  async function unlockById(accountId: number): Promise<boolean> {
    const row = await db.selectFrom('accounts').select(['id', 'tenant_id']).where('id', '=', accountId).executeTakeFirst();
    if (!row) throw notFound('account');
    return lock.unlock({ id: Number(row.id), tenantId: Number(row.tenant_id) }, null, null);
  }

  /**
   * A passwordless sign-in with a passkey whose authenticator verified its user: that is the password
   * and the second factor together, so it answers a JWT at once (under the same account lock).
   */
  async function passkeySignIn(assertion: unknown, clientAddress: string | null): Promise<{ accountId: number; jwtToken: string; expiresAt: number }> {
    let use;
    try {
      use = await passkeys.identify(assertion, clientAddress);
    } catch (err) {
      metrics.signIn('failure', 'passkey');
      throw err;
    }
    const state = await lock.state(use.accountId);
    if (state.lockedUntil !== null) {
      metrics.signIn('locked', 'passkey');
      throw accountLocked(state.lockedUntil);
    }
    const row = await db.selectFrom('accounts').innerJoin('tenants', 'tenants.id', 'accounts.tenant_id').select(['accounts.role', 'tenants.parent_id']).where('accounts.id', '=', use.accountId).executeTakeFirstOrThrow();
    const account: LoginAccount = { id: use.accountId, tenantId: use.tenantId, parentId: row.parent_id === null ? null : Number(row.parent_id), role: loginRole(row.role) };
    await lock.succeed(account.id);
    const [jwt] = await Promise.all([credentials.signJwt(account.id, claimsOf(account)), signedIn(account.id)]);
    metrics.signIn('success', 'passkey');
    return { accountId: account.id, jwtToken: jwt.token, expiresAt: jwt.expiresAt };
  }

  /** The passkey options of a login in progress (its second step), for a page that asks again; null when none. */
  async function passkeyOptionsFor(preLoginToken: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const row = await db.selectFrom('pre_login_tokens').select(['account_id', 'step', 'expires_at']).where('token_hash', '=', sha256Hex(preLoginToken)).executeTakeFirst();
    if (!row || row.step !== 'verify' || Number(row.expires_at) <= now()) return null;
    return passkeys.secondFactorOptions(Number(row.account_id), preLoginToken);
  }

  /** Ends every login in progress of an account: its password changed or its 2FA was reset. */
  async function forgetPreLoginTokens(accountId: number): Promise<void> {
    await db.deleteFrom('pre_login_tokens').where('account_id', '=', accountId).execute();
  }

  return { login, endLogin, passkeySignIn, passkeyOptionsFor, verifyForAccount, issuePreLoginToken, forgetPreLoginTokens, lockState: lock.state, unlock, unlockById };
}
