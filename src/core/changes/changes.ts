/**
 * The admin audit trail: who changed what, on which object, from where, when, and whether it was
 * done or refused. Every management request of every face reaches recordChange through one hook of
 * the HTTP layer (faces/http/audit-trail.ts); the CLI, which calls core directly, records through
 * the same function. Reading is `changes.read` (roles.ts): the deployment admin reads everything, a
 * tenant's credentials and its super agents the records of callers in their tree.
 *
 * Nothing secret is kept: the detail takes only scalar facts under allow-listed names (faces pick
 * them, see CHANGE_FIELDS), and a key that looks like a credential is refused outright, as the
 * login audit does, so a careless caller fails loudly in tests.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { invalid, notFound } from '../errors.js';
import { assertReaches } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { Tenants } from '../tenants/tenants.js';

export type ChangeSurface = 'api' | 'console' | 'cli';
export type ChangeOutcome = 'done' | 'refused';
export const CHANGE_OUTCOMES: readonly ChangeOutcome[] = ['done', 'refused'];
export const CHANGE_SURFACES: readonly ChangeSurface[] = ['api', 'console', 'cli'];

/**
 * Body fields whose values may be kept, all plain facts about the change (a role, a name, a flag).
 * Any other field is kept by name only (`fields`), its value never.
 */
export const CHANGE_FIELDS = new Set([
  'name', 'role', 'blocked', 'activated', 'domain', 'username', 'email', 'displayName', 'display_name', 'description',
  'enabled', 'requirement', '2FARequirement', 'tenant', 'parent', 'siteId', 'partnerId', 'agentId', 'superAgentId', 'lineId',
  'phoneNumber', 'status', 'title', 'type', 'algorithm', 'admin', 'expiresAt', 'ringTimeout', 'direction',
]);

/** A detail key that names a secret: refused, whatever its value. */
const SECRET_NAME = /code|secret|token|password|passwd|key|ha1|otp|pin$/i;

export type ChangeDetail = Record<string, string | number | boolean | null | string[]>;

/** Who acted: an authenticated caller, the CLI's operator (no caller), or nobody (a public route). */
export type Actor = Caller | 'operator' | 'anonymous';

export interface ChangeEntry {
  actor: Actor;
  /** How a caller authenticated, when the credential kind says less than the surface (the console's session). */
  via?: string;
  surface: ChangeSurface;
  /** What was asked: a route (`POST /admin/tenants`) or a CLI command (`account create`). */
  action: string;
  object?: { type: string; id: string | number | null } | null;
  outcome: ChangeOutcome;
  errorCode?: string | null;
  status?: number | null;
  clientAddress?: string | null;
  requestId?: string | null;
  detail?: ChangeDetail;
}

export interface Change {
  id: number;
  at: number;
  actor: { tenantId: number | null; accountId: number | null; role: string; via: string };
  surface: string;
  action: string;
  object: { type: string; id: string | null } | null;
  outcome: ChangeOutcome;
  errorCode: string | null;
  status: number | null;
  clientAddress: string | null;
  requestId: string | null;
  detail: ChangeDetail;
}

export interface ChangeQuery {
  /** A tenant (id or SID) in the caller's reach: only records of callers in its tree. */
  tenant?: string | number;
  since?: number;
  until?: number;
  actorAccountId?: number;
  actorRole?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  outcome?: ChangeOutcome;
  surface?: ChangeSurface;
  /** Newest first; 1 to 500 (default 100). */
  limit?: number;
  /** Only records with an id below this one: the next page after a page's last id. */
  before?: number;
}

/**
 * A stored string: at most `length` characters, NUL shown as U+FFFD. A request's path or field may
 * carry a NUL (refused as input), and PostgreSQL's text refuses one: kept, the refusal's record
 * would be lost.
 */
const clip = (value: string | null | undefined, length: number) => (value == null ? null : value.slice(0, length).replaceAll('\0', '\uFFFD'));

/** The stored form of a detail (null when empty); a secret-looking key is a programming error. */
export function changeDetailText(detail: ChangeDetail = {}): string | null {
  for (const key of Object.keys(detail)) {
    if (key !== 'fields' && SECRET_NAME.test(key)) throw new Error(`change detail may not carry "${key}"`);
  }
  return Object.keys(detail).length ? JSON.stringify(detail) : null;
}

/**
 * The facts of a request body worth keeping: the allow-listed fields' scalar values (short strings
 * only) and the names of every field sent. A body is never kept verbatim.
 */
export function changeDetailOf(body: unknown): ChangeDetail {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const detail: ChangeDetail = {};
  const names = Object.keys(body).filter((k) => k !== '_csrf' && k !== 'confirm');
  for (const name of names) {
    const value = (body as Record<string, unknown>)[name];
    if (!CHANGE_FIELDS.has(name) || SECRET_NAME.test(name)) continue;
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || value === null) detail[name] = value;
    else if (typeof value === 'string') detail[name] = clip(value, 200)!;
  }
  if (names.length) detail.fields = names.slice(0, 30).map((n) => clip(n, 60)!);
  return detail;
}

type Row = { id: number | string; created_at: number | string } & Record<string, unknown>;

const INSERT =
  'insert into admin_changes (created_at, actor_tenant_id, actor_tenant_path, actor_account_id, actor_role, actor_via, surface, action, object_type, object_id, outcome, error_code, status, client_address, request_id, detail) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export type ChangeLog = ReturnType<typeof createChangeLog>;

export function createChangeLog({ db, statements }: CoreDeps, tenants: Tenants) {
  // A prepared statement, not Kysely: no query to build per change, and on SQLite the row joins the
  // request's group commit (storage/statements.ts) instead of committing one of its own.
  const insert = statements.prepare(INSERT);

  /** Records one change, done or refused; resolves once it is committed. */
  async function recordChange(entry: ChangeEntry): Promise<void> {
    const caller = typeof entry.actor === 'object' ? entry.actor : null;
    const role = caller ? caller.role : entry.actor;
    const via = entry.via ?? (caller ? caller.via : entry.actor === 'operator' ? 'cli' : 'none');
    const objectId = entry.object?.id;
    await insert.run(
      now(),
      caller?.tenantId ?? null,
      caller?.tenantPath ?? null,
      caller?.accountId ?? null,
      role as string,
      via,
      entry.surface,
      clip(entry.action, 200)!,
      clip(entry.object?.type, 60),
      objectId === undefined || objectId === null ? null : clip(String(objectId), 200),
      entry.outcome,
      clip(entry.errorCode, 60),
      entry.status ?? null,
      clip(entry.clientAddress, 64),
      clip(entry.requestId, 64),
      changeDetailText(entry.detail),
    );
    await statements.durable();
  }

  /**
   * Records the caller may read, newest first (see the module's comment for who reads what). No
   * caller is the operator on the server (the CLI): everything.
   */
  async function list(caller: Caller | null, query: ChangeQuery = {}): Promise<Change[]> {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('limit', 'must be 1 to 500');
    if (caller) requireCapability(caller, 'changes.read');
    if (query.outcome !== undefined && !CHANGE_OUTCOMES.includes(query.outcome)) throw invalid('outcome', 'must be done or refused');
    const scope = query.tenant !== undefined ? (await tenants.find(query.tenant).then((t) => reached(caller, t))).path : !caller || caller.role === 'admin' ? null : caller.tenantPath;
    let q = db.selectFrom('admin_changes').selectAll();
    if (scope !== null) q = q.where('actor_tenant_path', 'like', `${scope}%`);
    if (query.since !== undefined) q = q.where('created_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('created_at', '<', query.until);
    if (query.actorAccountId !== undefined) q = q.where('actor_account_id', '=', query.actorAccountId);
    if (query.actorRole !== undefined) q = q.where('actor_role', '=', query.actorRole);
    if (query.action !== undefined) q = q.where('action', '=', query.action);
    if (query.objectType !== undefined) q = q.where('object_type', '=', query.objectType);
    if (query.objectId !== undefined) q = q.where('object_id', '=', query.objectId);
    if (query.outcome !== undefined) q = q.where('outcome', '=', query.outcome);
    if (query.surface !== undefined) q = q.where('surface', '=', query.surface);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => changeOf(r as unknown as Row));
  }

  /** Every record the query matches, newest first, a page at a time (the JSON lines export). */
  async function* exportAll(caller: Caller | null, query: Omit<ChangeQuery, 'limit' | 'before'> & { before?: number } = {}): AsyncGenerator<Change> {
    let before = query.before;
    for (;;) {
      const page = await list(caller, { ...query, limit: 500, ...(before !== undefined && { before }) });
      yield* page;
      if (page.length < 500) return;
      before = page[page.length - 1]!.id;
    }
  }

  /** The tenant a filter names, when the caller reaches it (the operator reaches every one). */
  function reached(caller: Caller | null, tenant: { path: string } | undefined): { path: string } {
    if (!tenant) throw notFound('tenant');
    if (caller) assertReaches(caller, tenant.path);
    return tenant;
  }

  return { recordChange, list, exportAll };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function changeOf(r: Row): Change {
  return {
    id: Number(r.id),
    at: Number(r.created_at),
    actor: { tenantId: num(r.actor_tenant_id), accountId: num(r.actor_account_id), role: String(r.actor_role), via: String(r.actor_via) },
    surface: String(r.surface),
    action: String(r.action),
    object: r.object_type === null ? null : { type: String(r.object_type), id: str(r.object_id) },
    outcome: r.outcome as ChangeOutcome,
    errorCode: str(r.error_code),
    status: num(r.status),
    clientAddress: str(r.client_address),
    requestId: str(r.request_id),
    detail: r.detail ? (JSON.parse(String(r.detail)) as ChangeDetail) : {},
  };
}
