/**
 * SIP accounts: rows of the one accounts table (role 'sip' or 'sipadmin') addressed
 * sip:username@domain, with their HA1 per algorithm, DTMF protocol, provisioning token and dictionary.
 */
import type { CoreDeps } from '../context.js';
import { constantTimeEqual, newToken, now, sha256Hex } from '../crypto.js';
import { freshCache } from '../fresh-cache.js';
import { notFound } from '../errors.js';
import { type DigestAlgorithm, ha1 } from '../sip/digest.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Db } from '../../storage/database.js';
import { Problems, refuse } from './validation.js';

export interface SipAccount {
  id: number;
  tenantId: number;
  username: string;
  domain: string;
  email: string | null;
  phone: string | null;
  displayName: string | null;
  admin: boolean;
  activated: boolean;
  blocked: boolean;
  dtmfProtocol: string | null;
  provisioningToken: string | null;
  confirmationKeyExpires: number | null;
  userAgent: string | null;
  algorithms: DigestAlgorithm[];
  dictionary: Record<string, string>;
  /** A pending email change (upstream's `email_change_code`): the new address, while its code can still be used. */
  emailChange: { email: string; createdAt: number | null; updatedAt: number | null } | null;
  /** The account types it has, as upstream lists them in the account object. */
  types: Array<{ id: number; key: string }>;
  /** Its DTMF actions; none listed while the account has no DTMF protocol, as upstream. */
  actions: Array<{ id: number; key: string; code: string }>;
  createdAt: number;
  updatedAt: number;
}

export interface NewSipAccount {
  username: string;
  domain: string;
  password: string;
  algorithm: DigestAlgorithm;
  admin?: boolean;
  activated?: boolean;
  email?: string | null;
  phone?: string | null;
  displayName?: string | null;
  dtmfProtocol?: string | null;
  dictionary?: Record<string, string> | null;
  confirmationKeyExpires?: number | null;
  userAgent?: string | null;
  /** Make an activation key and answer it once (admin creation with activated: false, public creation). */
  confirmationKey?: string | null;
}

export const KEY_TRIES_PER_HOUR = 10;
/** Wrong codes an email change allows before it must be asked for again. */
export const EMAIL_CHANGE_ATTEMPTS = 5;
const HA1_COLUMN = { MD5: 'ha1_md5', 'SHA-256': 'ha1_sha256' } as const;
export const ha1Context = (algorithm: DigestAlgorithm, accountId: number) => `sip_ha1:${algorithm}:${accountId}`;
const provisioningContext = (accountId: number) => `sip_provisioning:${accountId}`;

export type SipAccounts = ReturnType<typeof createSipAccounts>;

export function createSipAccounts(deps: CoreDeps) {
  const { db, sealer, config } = deps;
  const realmOf = (domain: string) => config.flexisip.realm ?? domain;

  const baseQuery = (q: Db = db) =>
    q
      .selectFrom('accounts')
      .innerJoin('sip_accounts', 'sip_accounts.account_id', 'accounts.id')
      .leftJoin('sip_pending_changes as pe', (j) => j.onRef('pe.account_id', '=', 'accounts.id').on('pe.kind', '=', 'email'))
      .selectAll('accounts')
      .select([
        'sip_accounts.ha1_md5',
        'sip_accounts.ha1_sha256',
        'sip_accounts.dtmf_protocol',
        'sip_accounts.provisioning_token',
        'sip_accounts.confirmation_key_expires',
        'sip_accounts.user_agent',
        'sip_accounts.confirmation_key_hash',
        'pe.value as email_change_value',
        'pe.expires_at as email_change_expires',
        'pe.attempts as email_change_attempts',
        'pe.created_at as email_change_created',
        'pe.updated_at as email_change_updated',
      ]);
  type Row = NonNullable<Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirst']>>>;

  /**
   * The account object from its row and its dictionary entries. The opened provisioning token is
   * kept per envelope (a new token is a new envelope), so a read does not decrypt it every time.
   */
  function build(row: Row, entries: Array<{ key: string; value: string }>, links: Links): SipAccount {
    const id = Number(row.id);
    const dictionary: Record<string, string> = {};
    for (const e of entries) dictionary[e.key] = e.value;
    return {
      id,
      tenantId: Number(row.tenant_id),
      username: row.username ?? '',
      domain: row.domain ?? '',
      email: row.email,
      phone: row.phone,
      displayName: row.display_name,
      admin: row.role === 'sipadmin',
      activated: Boolean(row.activated),
      blocked: Boolean(row.blocked),
      dtmfProtocol: row.dtmf_protocol,
      provisioningToken: row.provisioning_token ? openProvisioning(row.provisioning_token, id) : null,
      confirmationKeyExpires: row.confirmation_key_expires === null ? null : Number(row.confirmation_key_expires),
      userAgent: row.user_agent,
      algorithms: [row.ha1_md5 && 'MD5', row.ha1_sha256 && 'SHA-256'].filter(Boolean) as DigestAlgorithm[],
      dictionary,
      emailChange: emailChangeOf(row),
      types: links.types.map((t) => ({ id: Number(t.id), key: t.key })),
      actions: row.dtmf_protocol === null ? [] : links.actions.map((a) => ({ id: Number(a.id), key: a.key, code: a.code })),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  // Upstream shows the change while its code is unused; here a code also expires and allows a few tries.
  function emailChangeOf(row: Row): SipAccount['emailChange'] {
    if (row.email_change_value === null || row.email_change_value === undefined) return null;
    if (Number(row.email_change_expires) <= now() || Number(row.email_change_attempts) >= EMAIL_CHANGE_ATTEMPTS) return null;
    const time = (t: number | null) => (t === null ? null : Number(t));
    return { email: row.email_change_value, createdAt: time(row.email_change_created), updatedAt: time(row.email_change_updated) };
  }

  const opened = new Map<string, string>();
  function openProvisioning(envelope: string, accountId: number): string {
    let token = opened.get(envelope);
    if (token === undefined) {
      token = sealer.open(envelope, provisioningContext(accountId));
      if (opened.size >= 10_000) opened.clear();
      opened.set(envelope, token);
    }
    return token;
  }

  async function toSipAccount(row: Row): Promise<SipAccount> {
    const id = Number(row.id);
    const [entries, links] = await Promise.all([dictionaryOf.all(id), linksOf(id)]);
    return build(row, entries, links);
  }

  // GET /api/accounts/me reads an account on every request: one statement prepared once, a row per
  // dictionary entry (or one row with no entry).
  const accountById = deps.statements.prepare<Row & { dict_key: string | null; dict_value: string | null }>(
    'select accounts.*, sip_accounts.ha1_md5, sip_accounts.ha1_sha256, sip_accounts.dtmf_protocol, sip_accounts.provisioning_token, sip_accounts.confirmation_key_expires, sip_accounts.user_agent, sip_accounts.confirmation_key_hash, pe.value as email_change_value, pe.expires_at as email_change_expires, pe.attempts as email_change_attempts, pe.created_at as email_change_created, pe.updated_at as email_change_updated, sip_dictionary."key" as dict_key, sip_dictionary."value" as dict_value from accounts inner join sip_accounts on sip_accounts.account_id = accounts.id left join sip_pending_changes pe on pe.account_id = accounts.id and pe.kind = \'email\' left join sip_dictionary on sip_dictionary.account_id = accounts.id where accounts.id = ? order by sip_dictionary."key"',
  );
  const dictionaryOf = deps.statements.prepare<{ key: string; value: string }>('select "key", "value" from sip_dictionary where account_id = ? order by "key"');
  const typesOf = deps.statements.prepare<{ id: number; key: string }>(
    'select t.id, t."key" from sip_account_account_types l inner join sip_account_types t on t.id = l.account_type_id where l.account_id = ? order by t.id',
  );
  const actionsOf = deps.statements.prepare<{ id: number; key: string; code: string }>('select id, "key", code from sip_account_actions where account_id = ? order by id');
  type Links = { types: Array<{ id: number; key: string }>; actions: Array<{ id: number; key: string; code: string }> };
  const linksOf = async (id: number): Promise<Links> => {
    const [types, actions] = await Promise.all([typesOf.all(id), actionsOf.all(id)]);
    return { types, actions };
  };

  async function byId(id: number): Promise<SipAccount | undefined> {
    const [rows, links] = await Promise.all([accountById.all(id), linksOf(id)]);
    if (rows.length === 0) return undefined;
    const entries = rows.filter((r) => r.dict_key !== null).map((r) => ({ key: r.dict_key!, value: r.dict_value ?? '' }));
    return build(rows[0]!, entries, links);
  }

  // An account reading itself (GET /api/accounts/me and the other User endpoints) on every request:
  // kept while fresh (core/fresh-cache.ts: any write here drops it, another node's within 500 ms).
  // Frozen, because every reader of an id shares the one object.
  const ownCache = freshCache<number, SipAccount>(deps.changes);
  const ownById = (id: number): Promise<SipAccount | undefined> =>
    ownCache.read(id, async () => {
      const account = await byId(id);
      if (account) {
        Object.freeze(account.dictionary);
        if (account.emailChange) Object.freeze(account.emailChange);
        for (const list of [account.types, account.actions]) {
          for (const item of list) Object.freeze(item);
          Object.freeze(list);
        }
        Object.freeze(account.algorithms);
        Object.freeze(account);
      }
      return account;
    });

  async function mustById(id: number): Promise<SipAccount> {
    const account = await byId(id);
    if (!account) throw notFound('account');
    return account;
  }

  async function bySip(username: string, domain: string): Promise<SipAccount | undefined> {
    const row = await baseQuery().where('accounts.domain', '=', domain.toLowerCase()).where('accounts.username', '=', username).executeTakeFirst();
    return row && toSipAccount(row);
  }

  /** The HA1 of one algorithm, opened; null when the account holds no password for it. */
  async function ha1Of(accountId: number, algorithm: DigestAlgorithm): Promise<string | null> {
    const row = await db.selectFrom('sip_accounts').select(HA1_COLUMN[algorithm]).where('account_id', '=', accountId).executeTakeFirst();
    const sealed = row?.[HA1_COLUMN[algorithm]];
    return sealed ? sealer.open(sealed, ha1Context(algorithm, accountId)) : null;
  }

  /** The HA1 columns for a new password: the chosen algorithm only (a change may switch algorithm). */
  function sealedPassword(accountId: number, username: string, domain: string, password: string, algorithm: DigestAlgorithm) {
    const sealed = sealer.seal(ha1(algorithm, username, realmOf(domain), password), ha1Context(algorithm, accountId));
    return { ha1_md5: algorithm === 'MD5' ? sealed : null, ha1_sha256: algorithm === 'SHA-256' ? sealed : null };
  }

  /** The domain's tenant; a 422 on `domain` when no tenant owns it. */
  async function domainTenant(domain: string): Promise<number> {
    const row = await db.selectFrom('sip_domains').select('tenant_id').where('domain', '=', domain.toLowerCase()).executeTakeFirst();
    if (!row) refuse('domain', 'The selected domain is invalid.');
    return Number(row.tenant_id);
  }

  /** The deployment's only SIP domain; null when it has none or several (then nothing can be guessed). */
  async function soleDomain(): Promise<string | null> {
    const rows = await db.selectFrom('sip_domains').select('domain').limit(2).execute();
    return rows.length === 1 ? rows[0]!.domain : null;
  }

  /** Uniqueness of a username (and of an email, when the setting asks) in a domain. */
  async function checkUnique(p: Problems, domain: string, fields: { username?: string | null; email?: string | null }, exceptId?: number) {
    if (fields.username && !p.has('username')) {
      let q = db.selectFrom('accounts').select('id').where('domain', '=', domain).where('username', '=', fields.username);
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
      const tombstone = () => db.selectFrom('sip_tombstones').select('username').where('domain', '=', domain).where('username', '=', fields.username!).executeTakeFirst();
      if ((await q.executeTakeFirst()) || (await tombstone())) p.add('username', 'The username has already been taken.');
    }
    if (fields.email && config.flexisip.emailUnique && !p.has('email')) {
      let q = db.selectFrom('accounts').select('id').where('domain', '=', domain).where('email', '=', fields.email.toLowerCase());
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
      if (await q.executeTakeFirst()) p.add('email', 'The email has already been taken.');
    }
  }

  /** Inserts a checked account. Answers it, with the activation key when one was asked for. */
  async function insert(input: NewSipAccount): Promise<SipAccount> {
    const tenantId = await domainTenant(input.domain);
    const t = now();
    try {
      const id = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('accounts')
          .values({
            tenant_id: tenantId,
            username: input.username,
            domain: input.domain.toLowerCase(),
            email: input.email?.toLowerCase() ?? null,
            phone: input.phone ?? null,
            display_name: input.displayName ?? null,
            role: input.admin ? 'sipadmin' : 'sip',
            activated: input.activated ? 1 : 0,
            blocked: 0,
            password_hash: null,
            created_at: t,
            updated_at: t,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const accountId = Number(row.id);
        await trx
          .insertInto('sip_accounts')
          .values({
            account_id: accountId,
            ...sealedPassword(accountId, input.username, input.domain, input.password, input.algorithm),
            dtmf_protocol: input.dtmfProtocol ?? null,
            provisioning_token: sealer.seal(newProvisioningToken(), provisioningContext(accountId)),
            confirmation_key_hash: input.confirmationKey ? sha256Hex(input.confirmationKey) : null,
            confirmation_key_expires: input.confirmationKeyExpires ?? null,
            user_agent: input.userAgent?.slice(0, 300) ?? null,
          })
          .execute();
        for (const [key, value] of Object.entries(input.dictionary ?? {})) {
          await trx.insertInto('sip_dictionary').values({ account_id: accountId, key, value }).execute();
        }
        return accountId;
      });
      return mustById(id);
    } catch (err) {
      // Storage keeps usernames and emails unique per tenant too: a tenant's other domain may hold one.
      if (isUniqueViolation(err)) refuse('username', 'The username or email has already been taken.');
      throw err;
    }
  }

  async function setPassword(account: SipAccount, password: string, algorithm: DigestAlgorithm): Promise<void> {
    await db
      .updateTable('sip_accounts')
      .set(sealedPassword(account.id, account.username, account.domain, password, algorithm))
      .where('account_id', '=', account.id)
      .execute();
    await touch(account.id);
  }

  async function checkPassword(account: SipAccount, password: string): Promise<boolean> {
    for (const algorithm of account.algorithms) {
      const stored = await ha1Of(account.id, algorithm);
      if (stored && constantTimeEqual(stored, ha1(algorithm, account.username, realmOf(account.domain), password))) return true;
    }
    return false;
  }

  async function provision(accountId: number): Promise<SipAccount> {
    await db
      .updateTable('sip_accounts')
      .set({ provisioning_token: sealer.seal(newProvisioningToken(), provisioningContext(accountId)) })
      .where('account_id', '=', accountId)
      .execute();
    await touch(accountId);
    return mustById(accountId);
  }

  async function setFlags(accountId: number, flags: { activated?: boolean; blocked?: boolean }): Promise<SipAccount> {
    await db
      .updateTable('accounts')
      .set({
        ...(flags.activated !== undefined && { activated: flags.activated ? 1 : 0 }),
        ...(flags.blocked !== undefined && { blocked: flags.blocked ? 1 : 0 }),
        updated_at: now(),
      })
      .where('id', '=', accountId)
      .execute();
    return mustById(accountId);
  }

  const touch = (accountId: number) => db.updateTable('accounts').set({ updated_at: now() }).where('id', '=', accountId).execute();

  /** Deletes the account and leaves a tombstone: its username is never registered again in its domain. */
  async function remove(account: { id: number; username: string; domain: string }): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('sip_tombstones')
        .values({ domain: account.domain, username: account.username, created_at: now() })
        .onConflict((oc) => oc.columns(['domain', 'username']).doNothing())
        .execute();
      await tx.deleteFrom('accounts').where('id', '=', account.id).execute();
    });
  }

  /** A one-time activation key matches, and is spent; 'expired' after confirmation_key_expires. */
  async function spendConfirmationKey(account: SipAccount, key: string): Promise<'ok' | 'wrong' | 'expired' | 'locked'> {
    // A 4-digit PIN would fall to guessing: 10 wrong keys an hour per account, then none is tried.
    if ((await deps.state.increment(`sip:key-tries:${account.id}`, 3600_000)) > KEY_TRIES_PER_HOUR) return 'locked';
    const row = await db.selectFrom('sip_accounts').select(['confirmation_key_hash', 'confirmation_key_expires']).where('account_id', '=', account.id).executeTakeFirst();
    if (!row?.confirmation_key_hash || row.confirmation_key_hash !== sha256Hex(key)) return 'wrong';
    if (row.confirmation_key_expires !== null && Number(row.confirmation_key_expires) <= now()) return 'expired';
    const spent = await db
      .updateTable('sip_accounts')
      .set({ confirmation_key_hash: null })
      .where('account_id', '=', account.id)
      .where('confirmation_key_hash', '=', row.confirmation_key_hash)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) return 'wrong';
    await deps.state.release(`sip:key-tries:${account.id}`);
    return 'ok';
  }

  async function setConfirmationKey(accountId: number, key: string): Promise<void> {
    await db.updateTable('sip_accounts').set({ confirmation_key_hash: sha256Hex(key) }).where('account_id', '=', accountId).execute();
  }

  return {
    realmOf,
    byId,
    ownById,
    mustById,
    bySip,
    ha1Of,
    domainTenant,
    soleDomain,
    checkUnique,
    insert,
    setPassword,
    checkPassword,
    provision,
    setFlags,
    remove,
    touch,
    spendConfirmationKey,
    setConfirmationKey,
    sealedPassword,
    query: baseQuery,
    toSipAccount,
  };
}

const newProvisioningToken = () => newToken('').slice(0, 32);
