/**
 * The audit trail of the second factor and the login flow: who (tenant, account), what (event),
 * when and from where. Rows hold no secret, code or token: `detail` takes only scalar facts, and
 * keys that look like credentials are refused so that a careless caller fails loudly in tests.
 */
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { forbidden, invalid } from '../errors.js';
import type { Tenants } from '../tenants/tenants.js';
import type { TwoFactorEvent } from '../twofactor/twofactor.js';

export const AUDIT_EVENTS = [
  'setup',
  'update',
  'removal',
  'verify_success',
  'verify_failure',
  'lock',
  'unlock',
  'backup_code_used',
  'backup_code_generated',
  'backup_code_revoked',
  'trusted_device_issued',
  'trusted_device_revoked',
  'login_password_failure',
  'login_rate_limited',
  // A completed sign-in that asked no code (2FA off, or a trusted device): the others end in verify_success.
  'login_success',
  'site_requirement_set',
  'guessing_refused',
  'guessing_slowed',
  'passkey_registered',
  'passkey_used',
  'passkey_failure',
  'passkey_renamed',
  'passkey_removed',
  'passkey_counter_regressed',
  'site_phishing_resistant_set',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  tenantId: number;
  accountId: number | null;
  event: AuditEventName;
  clientAddress: string | null;
  detail?: AuditDetail;
}

export interface AuditEvent extends AuditEntry {
  id: number;
  detail: AuditDetail;
  at: number;
}

export interface AuditQuery {
  /** A tenant (id or SID) of the caller's subtree; its descendants are included. */
  tenant?: string | number;
  accountId?: number;
  event?: AuditEventName;
  since?: number;
  until?: number;
  /** Newest first; at most 500 (default 100). */
  limit?: number;
  /** Only events with an id below this one: the next page after a page's last id. */
  before?: number;
}

const FORBIDDEN_DETAIL = /code|secret|token|password|key/i;

export type Audit = ReturnType<typeof createAudit>;

/**
 * The stored form of an event's detail (null when empty). Statements prepared elsewhere for hot
 * paths write audit rows themselves; they go through this so the same keys are refused.
 */
export function auditDetailText(detail: AuditDetail = {}): string | null {
  for (const key of Object.keys(detail)) {
    if (FORBIDDEN_DETAIL.test(key)) throw new Error(`audit detail may not carry "${key}"`);
  }
  return Object.keys(detail).length ? JSON.stringify(detail) : null;
}

export function createAudit({ db }: CoreDeps, tenants: Tenants) {
  async function record(entry: AuditEntry): Promise<void> {
    const detail = auditDetailText(entry.detail);
    await db
      .insertInto('audit_events')
      .values({
        tenant_id: entry.tenantId,
        account_id: entry.accountId,
        event: entry.event,
        client_address: entry.clientAddress,
        detail,
        created_at: now(),
      })
      .execute();
  }

  /**
   * Events the caller may read (roles.ts `audit.read`): scope `all` reads its reach (an admin every
   * tenant's, a tenant credential or super agent its subtree's), scope `own` only its own events.
   */
  async function list(caller: Caller, query: AuditQuery = {}): Promise<AuditEvent[]> {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('limit', 'must be 1 to 500');
    const manager = requireCapability(caller, 'audit.read') === 'all';
    if (!manager && query.accountId !== undefined && query.accountId !== caller.accountId) {
      throw forbidden('this caller reads only its own audit events');
    }
    const scope = query.tenant !== undefined ? (await tenants.get(caller, query.tenant)).path : caller.role === 'admin' ? '/' : caller.tenantPath;
    let q = db
      .selectFrom('audit_events')
      .innerJoin('tenants', 'tenants.id', 'audit_events.tenant_id')
      .selectAll('audit_events')
      .where('tenants.path', 'like', `${scope}%`);
    if (!manager) q = q.where('audit_events.account_id', '=', caller.accountId);
    if (query.accountId !== undefined) q = q.where('audit_events.account_id', '=', query.accountId);
    if (query.event !== undefined) q = q.where('audit_events.event', '=', query.event);
    if (query.since !== undefined) q = q.where('audit_events.created_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('audit_events.created_at', '<', query.until);
    if (query.before !== undefined) q = q.where('audit_events.id', '<', query.before);
    const rows = await q.orderBy('audit_events.id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      tenantId: Number(r.tenant_id),
      accountId: r.account_id === null ? null : Number(r.account_id),
      event: r.event as AuditEventName,
      clientAddress: r.client_address,
      detail: r.detail ? (JSON.parse(r.detail) as AuditDetail) : {},
      at: Number(r.created_at),
    }));
  }

  /** The second factor's management changes (setups, backup codes, site policy), as twoFactor.onEvent announces them. */
  async function recordTwoFactorEvent(e: TwoFactorEvent): Promise<void> {
    const event: AuditEventName = e.type;
    const detail: AuditDetail = { actorAccountId: e.actorAccountId };
    if (e.requirement !== undefined) detail.requirement = e.requirement;
    await record({ tenantId: e.tenantId, accountId: e.accountId, event, clientAddress: e.ip, detail });
  }

  return { record, recordTwoFactorEvent, list };
}
