/**
 * Named limits (Smart 2FA): a limit is a set of token buckets {name, max, interval seconds} that a
 * send applies per key value ({"limit_on_phone": "+1205…"}). A limit belongs to one tenant
 * (targetAccountSid) and is managed by it or by any tenant above it.
 */
import { sql } from 'kysely';
import { type Caller, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newSid, now } from '../crypto.js';
import { GatehouseError, invalid } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { LimitErrors } from '../verifications/errors.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { BucketSpec } from '../../state/buckets.js';

export interface BucketDefinition {
  name: string;
  max: number;
  intervalSeconds: number;
}

export interface Limit {
  sid: string;
  name: string;
  buckets: string;
  description: string | null;
  accountSid: string;
  /** The tenants' contact emails (null when a tenant has none). */
  accountEmail: string | null;
  targetAccountSid: string;
  targetAccountEmail: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface LimitSearch {
  page: number;
  pageSize: number;
  name?: string;
  accountSid?: string;
  subAccounts?: boolean;
  startTime?: number;
  endTime?: number;
  sortBy: 'name' | 'dateCreated';
  direction: 'asc' | 'desc';
}

const MAX_BUCKETS = 10;
const unknownLimit = () => new GatehouseError(LimitErrors.unknownLimit, 'Invalid Limit Id');

/** Buckets as a JSON string or an array; max and interval as strings or numbers. Answers the stored string too. */
export function parseBuckets(input: unknown): { definitions: BucketDefinition[]; text: string } {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw invalid('buckets', 'is not valid JSON');
    }
  }
  if (!Array.isArray(value) || value.length === 0) throw invalid('buckets', 'must be a non-empty array of {name, max, interval}');
  if (value.length > MAX_BUCKETS) throw invalid('buckets', `may hold at most ${MAX_BUCKETS} buckets`);
  const definitions = value.map((b: unknown, i: number) => {
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw invalid(`buckets[${i}]`, 'must be an object {name, max, interval}');
    const { name, max, interval } = b as Record<string, unknown>;
    if (typeof name !== 'string' || !name.trim() || name.length > 100) throw invalid(`buckets[${i}].name`, 'must be a non-empty string of at most 100 characters');
    return { name, max: positive(max, `buckets[${i}].max`, 1_000_000), intervalSeconds: positive(interval, `buckets[${i}].interval`, 366 * 86400) };
  });
  const text = typeof input === 'string' ? input : JSON.stringify(definitions.map((d) => ({ name: d.name, max: String(d.max), interval: String(d.intervalSeconds) })));
  return { definitions, text };
}

function positive(value: unknown, field: string, ceiling: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > ceiling) throw invalid(field, `must be a whole number from 1 to ${ceiling}`);
  return n;
}

export function createLimits({ db }: CoreDeps, tenants: Tenants) {
  /** The tenant a request acts for: accountSid when given (the caller's own or below it), else the caller's. */
  async function target(caller: Caller, accountSid?: string | null): Promise<Pick<Tenant, 'id' | 'sid' | 'path'>> {
    // The caller's own tenant needs no query: authentication just read it.
    if (accountSid === undefined || accountSid === null || accountSid === '') return { id: caller.tenantId, sid: caller.tenantSid, path: caller.tenantPath };
    const tenant = /^AC[0-9a-f]{32}$/.test(accountSid) ? await tenants.find(accountSid) : undefined;
    if (!tenant || !reaches(caller, tenant.path)) throw invalid('accountSid', 'is not this account or one of its sub-accounts');
    return tenant;
  }

  const view = () =>
    db
      .selectFrom('limits')
      .innerJoin('tenants as t', 't.id', 'limits.tenant_id')
      .innerJoin('tenants as c', 'c.id', 'limits.created_by')
      .select([
        'limits.sid', 'limits.name', 'limits.buckets', 'limits.description', 'limits.created_at', 'limits.updated_at',
        't.sid as target_sid', 't.path as target_path', 't.email as target_email', 'c.sid as creator_sid', 'c.email as creator_email',
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof view>['executeTakeFirstOrThrow']>>;
  const toLimit = (r: Row): Limit => ({
    sid: r.sid,
    name: r.name,
    buckets: r.buckets,
    description: r.description,
    accountSid: r.creator_sid,
    accountEmail: r.creator_email,
    targetAccountSid: r.target_sid,
    targetAccountEmail: r.target_email,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });

  async function get(caller: Caller, sid: string): Promise<Limit> {
    if (!/^LM[0-9a-f]{32}$/.test(sid)) throw unknownLimit();
    const row = await view().where('limits.sid', '=', sid).executeTakeFirst();
    if (!row || !reaches(caller, row.target_path)) throw unknownLimit();
    return toLimit(row);
  }

  async function create(caller: Caller, input: { name: string; buckets: unknown; description?: string | null; accountSid?: string | null }): Promise<Limit> {
    const name = input.name.trim();
    if (!name) throw invalid('name', 'must not be empty');
    const { text } = parseBuckets(input.buckets);
    const tenant = await target(caller, input.accountSid);
    const t = now();
    const sid = newSid('LM');
    try {
      await db
        .insertInto('limits')
        .values({ sid, tenant_id: tenant.id, created_by: caller.tenantId, name, buckets: text, description: input.description ?? null, created_at: t, updated_at: t })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatehouseError(LimitErrors.nameTaken, 'Limit with that Name already exists');
      throw err;
    }
    return get(caller, sid);
  }

  async function update(caller: Caller, sid: string, input: { buckets?: unknown; description?: string | null }): Promise<Limit> {
    const existing = await get(caller, sid);
    const changes: { buckets?: string; description?: string | null; updated_at: number } = { updated_at: now() };
    if (input.buckets !== undefined) changes.buckets = parseBuckets(input.buckets).text;
    if (input.description !== undefined) changes.description = input.description;
    await db.updateTable('limits').set(changes).where('sid', '=', existing.sid).execute();
    return get(caller, sid);
  }

  async function remove(caller: Caller, sid: string): Promise<Limit> {
    const existing = await get(caller, sid);
    await db.deleteFrom('limits').where('sid', '=', existing.sid).execute();
    return existing;
  }

  async function search(caller: Caller, query: LimitSearch): Promise<{ rows: Limit[]; total: number }> {
    const scope = await target(caller, query.accountSid);
    let q = view();
    q = query.subAccounts ? q.where('t.path', 'like', `${scope.path}%`) : q.where('limits.tenant_id', '=', scope.id);
    if (query.name) q = q.where(sql<boolean>`limits.name like ${'%' + query.name.replace(/[\\%_]/g, (c) => '\\' + c) + '%'} escape '\\'`);
    if (query.startTime !== undefined) q = q.where('limits.created_at', '>=', query.startTime);
    if (query.endTime !== undefined) q = q.where('limits.created_at', '<=', query.endTime);
    const total = await q.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await q
      .orderBy(query.sortBy === 'name' ? 'limits.name' : 'limits.created_at', query.direction)
      .orderBy('limits.id', query.direction)
      .limit(query.pageSize)
      .offset(query.page * query.pageSize)
      .execute();
    return { rows: rows.map(toLimit), total: Number(total.n) };
  }

  /**
   * The buckets a send's named limits stand for, in the order given. An unknown name answers 495.
   * A key value starting with "+" is a number prefix: it must begin `to`, so a per-prefix limit
   * (e.g. {"limit_uk_mobiles": "+4479"}) cannot be sidestepped by a key that does not match.
   */
  async function bucketsFor(tenantId: number, limits: Array<[string, string]>, to: string): Promise<BucketSpec[]> {
    if (limits.length === 0) return [];
    const names = [...new Set(limits.map(([name]) => name))];
    const rows = await db.selectFrom('limits').select(['sid', 'name', 'buckets']).where('tenant_id', '=', tenantId).where('name', 'in', names).execute();
    const byName = new Map(rows.map((r) => [r.name, r]));
    const specs: BucketSpec[] = [];
    for (const [name, keyValue] of limits) {
      const row = byName.get(name);
      if (!row) throw new GatehouseError(LimitErrors.unknownLimitName, `Invalid Limit Name: ${name}`, { field: 'limits' });
      if (keyValue.startsWith('+') && !to.startsWith(keyValue)) throw invalid(`limits.${name}`, 'a key value starting with + is a number prefix and must begin to');
      const { definitions } = parseBuckets(row.buckets);
      definitions.forEach((d, i) => specs.push({ key: `limit:${row.sid}:${i}:${keyValue}`, max: d.max, intervalMs: d.intervalSeconds * 1000 }));
    }
    return specs;
  }

  return { target, get, create, update, remove, search, bucketsFor };
}

export type Limits = ReturnType<typeof createLimits>;
