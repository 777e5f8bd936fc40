/**
 * The TOTP second factor of agents and super agents: configs, backup codes, site policy.
 *
 * For the login flow (no Caller: login has already identified the account):
 *   createSecret(companyName: string, userAccount: string): { secretKey, otpauthUrl }
 *   newSecretFor(accountId: number): Promise<{ secretKey, otpauthUrl }>   issuer = the account's tenant name
 *   qrcodeUrl(otpauthUrl: string): Promise<string>                         data:image/png;base64,…
 *   getConfig(accountId: number): Promise<TwoFactorConfig | undefined>
 *   saveConfig(accountId: number, secretKey: string, code: string): Promise<TwoFactorConfig>
 *       verifies the code first; throws GatehouseError code_verify_failed | secret_key_exists | validation
 *   verifyTotp(accountId: number, code: string): Promise<'ok' | 'invalid' | 'replayed' | 'no_config'>
 *       a code accepted once (and any code of an older step) is refused afterwards, on every node
 *   acceptTotp(accountId, { secret, last_step }, code): Promise<step | 'invalid' | 'replayed'>
 *       the same check on a config the caller read; the caller moves last_step (CLAIM_STEP_SQL)
 *   useBackupCode(accountId: number, code: string): Promise<boolean>   atomic single use
 *   generateBackupCode(accountId: number): Promise<string>            replaces the account's one code
 *   siteRequirement(siteTenantId: number): Promise<0 | 1 | null>       null = the site set no policy
 *
 * For faces (each takes the Caller and checks that it may manage the account or site):
 *   manage.* below. An account manages itself; a super agent (or a tenant credential) manages the
 *   agents and super agents of its subtree; an admin manages everyone. Changes made through manage.*
 *   are announced to onEvent(listener: (event: TwoFactorEvent) => void | Promise<void>) listeners
 *   (the audit trail subscribes there), with the client address the face passes. The login flow's
 *   own verifications are its to record.
 */
import { type Caller, isSiteAgent, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { invalid, notFound } from '../errors.js';
import { assertActsOn, requireCapability, scopeOf } from '../roles.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { createSecret, qrcodeUrl, verifyCodeStep } from '../totp/secrets.js';
import { createBackupCodes } from './backup-codes.js';
import { type TwoFactorRequirement, createSitePolicy } from './site-policy.js';
import { type TwoFactorConfig, canonicalSecret, claimTotpStep, createTotpConfigs } from './totp-configs.js';

export type { TwoFactorConfig, TotpCheck } from './totp-configs.js';
export type { TwoFactorRequirement } from './site-policy.js';

/** Which accounts an endpoint is about: agents (sites), super agents (partners), or either (v1 paths). */
export type AccountKind = 'agent' | 'superagent' | 'any';

export interface TwoFactorEvent {
  type: 'setup' | 'update' | 'removal' | 'backup_code_generated' | 'backup_code_revoked' | 'site_requirement_set';
  /** The account concerned (null for a site's requirement). */
  accountId: number | null;
  tenantId: number;
  /** Who did it: the caller's account, or null for a tenant credential. */
  actorAccountId: number | null;
  ip: string | null;
  at: number;
  /** The new 2FARequirement, for site_requirement_set. */
  requirement?: TwoFactorRequirement;
}

export type TwoFactorListener = (event: TwoFactorEvent) => void | Promise<void>;

export interface ManagedAccount {
  id: number;
  tenantId: number;
  tenantPath: string;
  role: string;
}

export type TwoFactor = ReturnType<typeof createTwoFactor>;

/** `pepper`: the sealed secret backup codes are hashed under (the one-time codes' pepper). */
export function createTwoFactor({ db, statements, state, sealer }: CoreDeps, tenants: Tenants, pepper: Buffer) {
  const configs = createTotpConfigs(db, statements, state, sealer);
  const backupCodes = createBackupCodes(db, pepper);
  const policy = createSitePolicy(db);
  const listeners: TwoFactorListener[] = [];
  /** The account's other second factors (passkeys, set by core.ts): an admin's reset removes them too. */
  let otherFactors: (accountId: number) => Promise<number> = async () => 0;

  async function announce(caller: Caller, ip: string | undefined, event: Pick<TwoFactorEvent, 'type' | 'accountId' | 'tenantId' | 'requirement'>) {
    const full: TwoFactorEvent = { ...event, actorAccountId: caller.accountId, ip: ip ?? null, at: now() };
    for (const listener of listeners) await listener(full);
  }

  async function newSecretFor(accountId: number) {
    const row = await db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select(['accounts.email', 'accounts.username', 'tenants.name'])
      .where('accounts.id', '=', accountId)
      .executeTakeFirst();
    if (!row) throw notFound('account');
    return createSecret(row.name, row.email ?? row.username ?? String(accountId));
  }

  // Who manages whose 2FA is the roles table's `twofactor.manage` row (roles.ts).
  const mayManageTenant = (caller: Caller, tenant: Tenant) => scopeOf(caller, 'twofactor.manage') === 'all' && reaches(caller, tenant.path);

  /** The account an endpoint names (or the caller's own), checked for reach and kind. */
  async function account(caller: Caller, accountId: number | undefined, kind: AccountKind, field = 'agentId'): Promise<ManagedAccount> {
    const id = accountId ?? caller.accountId;
    if (id === null || id === undefined) throw invalid(field, 'is required');
    const row = await db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select(['accounts.id', 'accounts.tenant_id', 'accounts.role', 'tenants.path'])
      .where('accounts.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('account');
    const found = { id: Number(row.id), tenantId: Number(row.tenant_id), tenantPath: row.path, role: row.role };
    assertActsOn(caller, 'twofactor.manage', found);
    const fits = kind === 'superagent' ? found.role === 'superagent' : isSiteAgent(found.role) || (kind === 'any' && found.role === 'superagent');
    if (!fits) throw invalid(field, kind === 'superagent' ? 'is not a super agent' : 'is not an agent');
    return found;
  }

  /** The site or partner an endpoint names (or the caller's own tenant), checked for reach. */
  async function tenant(caller: Caller, ref: number | undefined): Promise<Tenant> {
    if (ref !== undefined) return tenants.get(caller, ref);
    const own = await tenants.find(caller.tenantId);
    if (!own) throw notFound('tenant');
    return own;
  }

  /** The caller's own tenant when it is a site: an agent's, or tenant credentials of a tenant without sub-tenants. */
  async function ownSite(caller: Caller): Promise<Tenant> {
    const own = await tenant(caller, undefined);
    const isSite =
      isSiteAgent(caller.role) ||
      (caller.role === 'tenant' && !(await db.selectFrom('tenants').select('id').where('parent_id', '=', own.id).executeTakeFirst()));
    if (!isSite) throw invalid('siteId', 'is required: name the site whose 2FA requirement is set');
    return own;
  }

  const manage = {
    account,
    tenant,

    async getConfig(caller: Caller, accountId: number | undefined, kind: AccountKind): Promise<TwoFactorConfig> {
      const target = await account(caller, accountId, kind);
      const config = await configs.get(target.id);
      if (!config) throw notFound('2FA config');
      return config;
    },

    /** Configs of a site's agents or a partner's super agents; an agent sees only its own. */
    async listConfigs(caller: Caller, tenantRef: number | undefined, kind: 'agent' | 'superagent'): Promise<TwoFactorConfig[]> {
      const where = await tenant(caller, tenantRef);
      const all = await configs.listForTenant(where.id, kind);
      return mayManageTenant(caller, where) ? all : all.filter((c) => c.accountId === caller.accountId);
    },

    async createConfig(caller: Caller, accountId: number | undefined, kind: AccountKind, secretKey: string, code: string, ip?: string) {
      const target = await account(caller, accountId, kind);
      const created = await configs.save(target.id, secretKey, code);
      await announce(caller, ip, { type: 'setup', accountId: target.id, tenantId: target.tenantId });
      return created;
    },

    async updateConfig(caller: Caller, accountId: number | undefined, kind: AccountKind, secretKey: string, code: string, ip?: string) {
      const target = await account(caller, accountId, kind);
      const updated = await configs.update(target.id, secretKey, code);
      if (!updated) throw notFound('2FA config');
      await announce(caller, ip, { type: 'update', accountId: target.id, tenantId: target.tenantId });
      return updated;
    },

    async deleteConfig(caller: Caller, accountId: number | undefined, kind: AccountKind, ip?: string): Promise<void> {
      const target = await account(caller, accountId, kind);
      const removed = await configs.remove(target.id);
      // Someone else's reset (an admin's) also succeeds on passkeys alone: its removal event takes them (core.ts).
      const reset = caller.accountId !== target.id;
      if (!removed && !(reset && (await otherFactors(target.id)) > 0)) throw notFound('2FA config');
      // A backup code stands in for a lost second factor, so it goes when none is left: always on a
      // reset (which takes the passkeys too), and on one's own removal unless a passkey remains.
      const backupRevoked = (reset || (await otherFactors(target.id)) === 0) && (await backupCodes.revoke(target.id));
      await announce(caller, ip, { type: 'removal', accountId: target.id, tenantId: target.tenantId });
      if (backupRevoked) await announce(caller, ip, { type: 'backup_code_revoked', accountId: target.id, tenantId: target.tenantId });
    },

    async generateBackupCode(caller: Caller, accountId: number | undefined, kind: AccountKind, ip?: string): Promise<string> {
      const target = await account(caller, accountId, kind);
      const code = await backupCodes.generate(target.id);
      await announce(caller, ip, { type: 'backup_code_generated', accountId: target.id, tenantId: target.tenantId });
      return code;
    },

    async backupCodeStatus(caller: Caller, accountId: number | undefined, kind: AccountKind) {
      const target = await account(caller, accountId, kind);
      return backupCodes.status(target.id);
    },

    async revokeBackupCode(caller: Caller, accountId: number | undefined, kind: AccountKind, ip?: string): Promise<void> {
      const target = await account(caller, accountId, kind);
      if (!(await backupCodes.revoke(target.id))) throw notFound('backup code');
      await announce(caller, ip, { type: 'backup_code_revoked', accountId: target.id, tenantId: target.tenantId });
    },

    async siteRequirement(caller: Caller, siteRef: number | undefined): Promise<{ siteId: number; requirement: TwoFactorRequirement }> {
      const site = await tenant(caller, siteRef);
      const requirement = await policy.requirement(site.id);
      if (requirement === null) throw notFound('site authentication config');
      return { siteId: site.id, requirement };
    },

    /**
     * Creating and updating are one act: a second POST updates, as a client following the document
     * expects. Who names no site means its own, when it is one: a site's own credentials, an agent
     * who administers it. A super agent or a partner's credentials name it (`siteId`), so that a
     * partner's own policy is never set by omission.
     */
    async setSiteRequirement(caller: Caller, siteRef: number | undefined, value: TwoFactorRequirement, ip?: string) {
      requireCapability(caller, 'site.policy');
      const site = siteRef !== undefined ? await tenant(caller, siteRef) : await ownSite(caller);
      const requirement = await policy.set(site.id, value);
      await announce(caller, ip, { type: 'site_requirement_set', accountId: null, tenantId: site.id, requirement });
      return { siteId: site.id, requirement };
    },

    /**
     * The stateless VerifyCode of v1 (`/2fa/code:verify`) with the no-replay rule: a code of a given
     * secret is accepted once — through this call or a login, whichever comes first, since both claim
     * the same step of the same secret (totp-configs.ts; the secret itself never reaches storage).
     */
    async checkCode(secretKey: string, code: string): Promise<boolean> {
      const secret = canonicalSecret(secretKey);
      const step = verifyCodeStep(secret, code);
      if (step === null) return false;
      return claimTotpStep(state, secret, step);
    },
  };

  return {
    createSecret,
    newSecretFor,
    qrcodeUrl,
    getConfig: configs.get,
    saveConfig: configs.save,
    verifyTotp: (accountId: number, code: string) => configs.verify(accountId, code),
    /** The login's TOTP check on a config it read itself: the step matched and claimed in shared state, or why not. */
    acceptTotp: configs.acceptStep,
    useBackupCode: backupCodes.use,
    generateBackupCode: backupCodes.generate,
    /** Backup codes stored by earlier versions without the pepper, re-hashed with it (run at start). */
    upgradeBackupCodes: backupCodes.upgradeLegacy,
    siteRequirement: policy.requirement,
    manage,
    /** Subscribes to the changes made through manage.* (setups, updates, removals, backup codes, site policy). */
    onEvent(listener: TwoFactorListener): void {
      listeners.push(listener);
    },
    /** Counts the account's other second factors, which someone else's deleteConfig (an admin's reset) removes too. */
    countOtherFactors(count: (accountId: number) => Promise<number>): void {
      otherFactors = count;
    },
  };
}
