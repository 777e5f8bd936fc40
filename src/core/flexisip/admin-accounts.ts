/**
 * Domain administration of SIP accounts (Admin): an Admin reaches only its domains' accounts (404 for
 * the others, 403 when it names another domain to create in).
 */
import type { Caller } from '../callers.js';
import { now, randomString } from '../crypto.js';
import { forbidden, notFound } from '../errors.js';
import { parseIso8601 } from '../iso8601.js';
import type { DigestAlgorithm } from '../sip/digest.js';
import type { SipAccount } from './accounts.js';
import type { AccountAnswer, AccountFields, FlexisipContext } from './common.js';
import { Problems, isE164, parseSipAddress, refuse } from './validation.js';

export function createAdminAccounts(ctx: FlexisipContext) {
  const { db, access, accounts, answer, administered, checkNew, checkUnique } = ctx;
  function parseExpiry(p: Problems, value: string | null | undefined): number | null {
    if (value === undefined || value === null || value === '') return null;
    // Upstream's "Y-m-d H:i:s", or any ISO 8601 date-time; without a zone, UTC.
    const t = parseIso8601(value);
    if (t === null) p.add('confirmation_key_expires', 'The confirmation key expires must match the format Y-m-d H:i:s.');
    return t;
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
    // Upstream's rule: a username is not a phone number (a phone belongs in `phone`, or in the public phone flow).
    if (typeof input.username === 'string' && isE164(input.username) && !p.has('username')) p.add('username', 'The username must not be a phone number.');
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
    // The fields first, as upstream validates before it looks the account up (a 422 leaks nothing).
    const p = new Problems();
    const ok = checkNew(p, input);
    p.check();
    const { account, scope } = await administered(caller, id);
    // An account keeps its domain; a PUT naming a domain the caller does not administer is refused
    // rather than answered 200 as if it had been honoured.
    const named = input.domain?.toLowerCase();
    if (named && named !== account.domain && !access.inScope(scope, named)) throw forbidden('this domain is outside the caller\'s reach');
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

  /** One page of the caller's accounts; of one domain only when named (404 outside the caller's reach). */
  async function adminList(caller: Caller, page: number, perPage = 20, domain?: string) {
    const scope = await access.adminScope(caller);
    let base = db.selectFrom('accounts').where('role', 'in', ['sip', 'sipadmin']);
    if (domain !== undefined) {
      if (!access.inScope(scope, domain.toLowerCase())) throw notFound('SIP domain');
      base = base.where('domain', '=', domain.toLowerCase());
    } else if (!scope.all) base = scope.domains.length ? base.where('domain', 'in', scope.domains) : base.where('id', '<', 0);
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
    await accounts.remove(account);
  }

  async function adminSetFlags(caller: Caller, id: number, flags: { activated?: boolean; blocked?: boolean }): Promise<AccountAnswer> {
    const { account } = await administered(caller, id);
    return answer(await accounts.setFlags(account.id, flags));
  }

  async function adminProvision(caller: Caller, id: number): Promise<AccountAnswer> {
    const { account } = await administered(caller, id);
    return answer(await accounts.provision(account.id));
  }

  return { adminCreate, adminUpdate, adminList, adminGet, adminSearch, adminSearchByEmail, adminDelete, adminSetFlags, adminProvision };
}
