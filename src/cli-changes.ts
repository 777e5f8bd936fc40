/**
 * The command line's side of the admin audit trail (core/changes): which commands change something
 * (and are recorded like a change over HTTP), and the `gatehouse audit` command's options and table.
 */
import { type Change, type ChangeEntry, type ChangeQuery, CHANGE_OUTCOMES, changeDetailOf } from './core/changes/changes.js';
import { parseIso8601 } from './core/iso8601.js';

/** Commands that change configuration or identity; the others read (list, audit) or run the server. */
const CLI_CHANGES = new Set([
  'tenant create', 'tenant update', 'tenant delete',
  'account create', 'account update', 'account delete', 'account unlock', 'account misplaced', 'account reset-password',
  'apikey revoke', 'token revoke', 'admin create',
]);

/** Whether this command run changes something (`account misplaced` only lists unless it resolves one). */
export function changesSomething(key: string, args: string[]): boolean {
  if (key === 'account misplaced') return args.some((a) => a.startsWith('--delete') || a.startsWith('--restore'));
  return CLI_CHANGES.has(key);
}

/** The record of one command run: its options as `--name value` pairs, kept through the allow list. */
export function cliChange(key: string, args: string[], refusal: string | null): ChangeEntry {
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const next = args[i + 1];
    options[name] = inline ?? (next !== undefined && !next.startsWith('--') ? (i++, next) : true);
  }
  const id = options.id ?? options.delete ?? options.restore ?? options.tenant;
  return {
    actor: 'operator',
    surface: 'cli',
    action: `cli ${key}`,
    object: { type: key.split(' ')[0] === 'admin' ? 'accounts' : `${key.split(' ')[0]}s`, id: typeof id === 'string' ? id : null },
    outcome: refusal ? 'refused' : 'done',
    errorCode: refusal,
    detail: changeDetailOf(options),
  };
}

interface AuditOptions {
  since?: string;
  until?: string;
  tenant?: string;
  actor?: string;
  action?: string;
  'object-type'?: string;
  'object-id'?: string;
  outcome?: string;
  limit?: string;
}

/** The audit command's filters, or a one-line complaint about an option. */
export function auditQuery(o: AuditOptions): { filters: Omit<ChangeQuery, 'limit' | 'before'>; limit: number } | string {
  const time = (name: 'since' | 'until') => {
    if (o[name] === undefined) return undefined;
    const t = parseIso8601(o[name]!);
    if (t === null) throw new Error(`--${name} must be an ISO 8601 date-time such as 2026-12-06T04:00:00Z`);
    return t;
  };
  try {
    if (o.outcome !== undefined && !(CHANGE_OUTCOMES as readonly string[]).includes(o.outcome)) return 'audit --outcome must be done or refused';
    if (o.actor !== undefined && !/^\d{1,10}$/.test(o.actor)) return 'audit --actor must be an account id';
    if (o.limit !== undefined && !/^\d{1,7}$/.test(o.limit)) return 'audit --limit must be a whole number';
    return {
      filters: {
        since: time('since'),
        until: time('until'),
        tenant: o.tenant,
        actorAccountId: o.actor === undefined ? undefined : Number(o.actor),
        action: o.action,
        objectType: o['object-type'],
        objectId: o['object-id'],
        outcome: o.outcome as ChangeQuery['outcome'],
      },
      limit: o.limit === undefined ? 100 : Number(o.limit),
    };
  } catch (err) {
    return `audit ${(err as Error).message}`;
  }
}

/** A readable table: one change a line, newest first. */
export function auditTable(rows: Change[]): string {
  if (rows.length === 0) return 'no changes\n';
  const lines = rows.map((c) => [
    new Date(c.at).toISOString(),
    c.actor.accountId !== null ? `${c.actor.role} #${c.actor.accountId}` : c.actor.tenantId !== null ? `${c.actor.role} tenant #${c.actor.tenantId}` : c.actor.role,
    c.action,
    c.object ? `${c.object.type} ${c.object.id ?? ''}`.trim() : '',
    c.outcome === 'done' ? 'done' : `refused (${c.errorCode ?? c.status})`,
    c.clientAddress ?? c.surface,
  ]);
  const head = ['time', 'who', 'action', 'object', 'outcome', 'from'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[fmt(head), ...lines.map(fmt)].join('\n')}\n`;
}
