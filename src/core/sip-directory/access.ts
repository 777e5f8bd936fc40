/**
 * Which SIP accounts an admin may manage, and the facts about an account that the directory shows
 * (its address, display name, DTMF protocol). One gate for every directory function, over the
 * Flexisip access rule (core/flexisip/access.ts): only an Admin passes, and only for the domains it
 * administers; an account outside them is not found, so nothing leaks.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { notFound } from '../errors.js';
import { createAccess } from '../flexisip/access.js';

export interface SipAccountRef {
  id: number;
  tenantId: number;
  tenantPath: string;
  username: string;
  domain: string;
  displayName: string | null;
  activated: boolean;
  dtmfProtocol: string | null;
}

/** `sip:user@domain` or `user@domain`, split; null when it is neither. */
export function splitSipAddress(value: string): { username: string; domain: string } | null {
  const m = /^(?:sips?:)?([^@\s:;]+)@([A-Za-z0-9.-]+)$/.exec(value.trim());
  return m ? { username: m[1]!, domain: m[2]!.toLowerCase() } : null;
}

export type AccountGate = ReturnType<typeof createAccountGate>;

export function createAccountGate(deps: CoreDeps) {
  const { db } = deps;
  const access = createAccess(deps);
  const base = () =>
    db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select([
        'accounts.id', 'accounts.tenant_id', 'tenants.path as tenant_path', 'accounts.username', 'accounts.domain',
        'accounts.display_name', 'accounts.activated',
      ])
      .where('accounts.username', 'is not', null)
      .where('accounts.domain', 'is not', null);

  type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
  const toRef = (r: Row, dtmf: Map<number, string | null>): SipAccountRef => ({
    id: Number(r.id),
    tenantId: Number(r.tenant_id),
    tenantPath: r.tenant_path,
    username: r.username!,
    domain: r.domain!,
    displayName: r.display_name,
    activated: Boolean(r.activated),
    dtmfProtocol: dtmf.get(Number(r.id)) ?? null,
  });

  /** DTMF protocols of the given accounts, kept with their SIP credentials. */
  async function dtmfProtocols(ids: number[]): Promise<Map<number, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('sip_accounts').select(['account_id', 'dtmf_protocol']).where('account_id', 'in', ids).execute();
    return new Map(rows.map((r) => [Number(r.account_id), r.dtmf_protocol]));
  }

  async function refs(ids: number[]): Promise<SipAccountRef[]> {
    if (ids.length === 0) return [];
    const rows = await base().where('accounts.id', 'in', ids).orderBy('accounts.id').execute();
    const dtmf = await dtmfProtocols(rows.map((r) => Number(r.id)));
    return rows.map((r) => toRef(r, dtmf));
  }

  /** Only an Admin goes further (forbidden otherwise): the deployment, a tenant or a SIP admin account. */
  const assertAdmin = async (caller: Caller): Promise<void> => void (await access.adminScope(caller));

  /** The SIP account `id` if the caller administers its domain; not found otherwise. */
  async function manageable(caller: Caller, id: number): Promise<SipAccountRef> {
    const scope = await access.adminScope(caller);
    const [ref] = await refs([id]);
    if (!ref || !access.inScope(scope, ref.domain)) throw notFound('account');
    return ref;
  }

  async function byAddress(username: string, domain: string): Promise<SipAccountRef | undefined> {
    const row = await base().where('accounts.username', '=', username).where('accounts.domain', '=', domain).executeTakeFirst();
    if (!row) return undefined;
    return toRef(row, await dtmfProtocols([Number(row.id)]));
  }

  return { refs, assertAdmin, manageable, byAddress };
}
