/**
 * Online guessing limits for the secrets a client presents without a browser: HTTP Digest answers,
 * Basic (tenant SID + auth token) and API keys. Counted in shared state (Redis, or the SQL
 * shared_state table), so every node counts together.
 *
 * - Per (account, source address): after SOURCE_LIMIT failures within WINDOW_MS the source is
 *   refused for that account, before its secret is checked, the right one included, until the
 *   window ends. A success ends the source's run of failures. API keys name no account before they
 *   match, so they are counted per source address alone, with a higher limit (API_KEY_SOURCE_LIMIT).
 * - Per account: past ACCOUNT_SLOW_AFTER failures from all sources within WINDOW_MS every further
 *   wrong answer is held back by a delay that doubles with each failure (up to MAX_DELAY_MS). The
 *   account-wide count never refuses anything and never delays a right answer, so an attacker
 *   spread over many addresses cannot keep the account's owner out; each of those addresses is
 *   still refused after its own SOURCE_LIMIT failures.
 *
 * A source reaching its limit is audited (`guessing_refused`, once per window), as is an account
 * entering the slow phase (`guessing_slowed`). The source's count is read alongside the check, so
 * a clean source pays one read of shared state and no write; only failures write.
 *
 * While shared state is unreachable, guarded credentials answer 503 like everything else that needs
 * it: limits that silently stopped counting would be a way around them. (Stepping aside instead was
 * tried: under a hung Redis a request then waited for two timeouts, past the one-second bound.)
 */
import type { Audit } from '../audit/audit.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { sha256Hex } from '../crypto.js';
import { CommonErrors, GatehouseError } from '../errors.js';
import { parseDigest } from '../sip/digest.js';
import { guessingRefused } from './errors.js';

export const WINDOW_MS = 15 * 60_000;
export const SOURCE_LIMIT = 10;
export const API_KEY_SOURCE_LIMIT = 50;
export const ACCOUNT_SLOW_AFTER = 20;
export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 10_000;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Credentials as presented, before they are checked. */
export type Presented =
  | { scheme: 'basic'; value: string }
  | { scheme: 'digest'; value: string; from: string | undefined }
  | { scheme: 'apiKey' };

/** The delay held before answering a wrong secret when the account has seen `failures` within the window. */
export function slowDelayMs(failures: number): number {
  const over = failures - ACCOUNT_SLOW_AFTER;
  return over <= 0 ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(over - 1, 20));
}

/** The account the credentials name (a tenant SID, a SIP address), or null when they name none. */
export function accountNamed(presented: Presented): string | null {
  if (presented.scheme === 'basic') {
    const decoded = Buffer.from(presented.value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 ? `sid:${decoded.slice(0, colon).trim()}` : null;
  }
  if (presented.scheme === 'digest') {
    const params = parseDigest(presented.value);
    if (!params?.username) return null;
    const domain = (presented.from && /@([^>;\s]+)/.exec(presented.from)?.[1]) || params.realm || '';
    return `sip:${params.username}@${domain.toLowerCase()}`;
  }
  return null;
}

/** Most requests come from a client seen before: its keys are kept rather than hashed again (two SHA-256 were a third of the guard's cost). */
const MAX_KEPT_KEYS = 10_000;
const kept = new Map<string, { sourceKey: string; accountKey: string | null }>();

/** The shared-state keys counting the failures of (credentials' scheme and account, source address). */
function keysOf(scheme: Presented['scheme'], account: string | null, source: string | null): { sourceKey: string; accountKey: string | null } {
  // The account's length keeps the parts apart whatever characters they hold; '-' stands for none.
  const id = `${scheme}:${account === null ? '-' : `${account.length}:${account}`}${source === null ? '-' : `:${source}`}`;
  let keys = kept.get(id);
  if (!keys) {
    const ident = sha256Hex(`${scheme}:${account ?? '*'}`).slice(0, 32);
    keys = { sourceKey: `guess:source:${ident}:${sha256Hex(source ?? '-').slice(0, 32)}`, accountKey: account === null ? null : `guess:account:${ident}` };
    if (kept.size >= MAX_KEPT_KEYS) kept.clear();
    kept.set(id, keys);
  }
  return keys;
}

export type Guessing = ReturnType<typeof createGuessing>;

export function createGuessing({ db, state }: CoreDeps, audit: Audit, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))) {
  /** Where an audit record of this account belongs: its tenant, or the deployment's first tenant when it names none we know. */
  async function whereToAudit(account: string | null): Promise<{ tenantId: number; accountId: number | null } | null> {
    // A name with a control character names nobody (and a NUL cannot even reach PostgreSQL).
    if (account !== null && CONTROL.test(account)) account = null;
    if (account?.startsWith('sid:')) {
      const t = await db.selectFrom('tenants').select('id').where('sid', '=', account.slice(4)).executeTakeFirst();
      if (t) return { tenantId: Number(t.id), accountId: null };
    } else if (account?.startsWith('sip:')) {
      const at = account.lastIndexOf('@');
      const a = await db
        .selectFrom('accounts')
        .select(['id', 'tenant_id'])
        .where('username', '=', account.slice(4, at))
        .where('domain', '=', account.slice(at + 1))
        .executeTakeFirst();
      if (a) return { tenantId: Number(a.tenant_id), accountId: Number(a.id) };
    }
    const root = await db.selectFrom('tenants').select('id').where('parent_id', 'is', null).orderBy('id').limit(1).executeTakeFirst();
    return root ? { tenantId: Number(root.id), accountId: null } : null;
  }

  async function auditOnce(key: string, event: 'guessing_refused' | 'guessing_slowed', presented: Presented, account: string | null, source: string | null, detail: Record<string, number | string>) {
    if (!(await state.claim(`guess:audited:${event}:${key}`, WINDOW_MS))) return;
    const where = await whereToAudit(account);
    if (where) await audit.record({ ...where, event, clientAddress: source, detail: { scheme: presented.scheme, ...detail } });
  }

  /**
   * Runs `check` (the credentials' verification) under the limits: refuses a source over its limit
   * without checking, counts a failure (an "unauthenticated" answer) and slows it when the account
   * is under attack, and ends a source's run of failures on its success.
   */
  async function guard(presented: Presented, source: string | null, check: () => Promise<Caller>): Promise<Caller> {
    const account = accountNamed(presented);
    const limit = account === null ? API_KEY_SOURCE_LIMIT : SOURCE_LIMIT;
    const { sourceKey, accountKey } = keysOf(presented.scheme, account, source);
    const refuse = async () => {
      await auditOnce(sourceKey, 'guessing_refused', presented, account, source, { limit, windowSeconds: WINDOW_MS / 1000 });
      return guessingRefused(WINDOW_MS / 1000);
    };
    const [counted, outcome] = await Promise.all([
      state.count(sourceKey),
      check().then(
        (caller) => ({ caller, error: null }),
        (error: unknown) => ({ caller: null, error }),
      ),
    ]);
    if (counted >= limit) throw await refuse();
    if (outcome.caller) {
      // A source that got in ends its run; a key names no account, so there the window decides.
      if (counted > 0 && accountKey !== null) await state.release(sourceKey);
      return outcome.caller;
    }
    const error = outcome.error;
    if (!(error instanceof GatehouseError) || error.code !== CommonErrors.unauthenticated) throw error;
    const [failures, accountFailures] = await Promise.all([state.increment(sourceKey, WINDOW_MS), accountKey ? state.increment(accountKey, WINDOW_MS) : 0]);
    const delay = slowDelayMs(accountFailures);
    if (delay > 0) {
      await auditOnce(accountKey!, 'guessing_slowed', presented, account, source, { after: ACCOUNT_SLOW_AFTER, windowSeconds: WINDOW_MS / 1000 });
      await sleep(delay);
    }
    if (failures >= limit) await auditOnce(sourceKey, 'guessing_refused', presented, account, source, { limit, windowSeconds: WINDOW_MS / 1000 });
    throw error;
  }

  return { guard };
}
