/**
 * What the console shows of the delivery queue, scoped like the send records (the caller's tenant and
 * its sub-accounts, or a tenant it reaches): the jobs waiting or being delivered, the latest that
 * ended, and how many of each state. Payloads are never read here: they hold codes.
 */
import { sql } from 'kysely';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import type { Limits } from '../limits/limits.js';
import { requireCapability } from '../roles.js';

export interface JobView {
  kind: string;
  ref: string;
  state: string;
  stage: number;
  attempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export function createDeliveryView({ db }: CoreDeps, limits: Limits) {
  async function overview(caller: Caller, accountSid?: string) {
    requireCapability(caller, 'records.read');
    const scope = await limits.target(caller, accountSid);
    const inScope = sql<boolean>`j.tenant_id in (select id from tenants where path like ${scope.path + '%'})`;
    const counts = await db
      .selectFrom('delivery_jobs as j')
      .where(inScope)
      .select((eb) => ['j.state', eb.fn.countAll<number>().as('n')])
      .groupBy('j.state')
      .execute();
    const view = () =>
      db
        .selectFrom('delivery_jobs as j')
        .where(inScope)
        .select(['j.kind', 'j.ref', 'j.state', 'j.stage', 'j.attempts', 'j.run_at', 'j.last_error', 'j.created_at', 'j.updated_at']);
    const live = await view().where('j.state', 'in', ['queued', 'running']).orderBy('j.run_at').limit(50).execute();
    const ended = await view().where('j.state', 'not in', ['queued', 'running']).orderBy('j.updated_at', 'desc').limit(50).execute();
    const toView = (r: (typeof live)[number]): JobView => ({
      kind: r.kind,
      ref: r.ref,
      state: r.state,
      stage: Number(r.stage),
      attempts: Number(r.attempts),
      runAt: Number(r.run_at),
      lastError: r.last_error,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    });
    const oldest = await db
      .selectFrom('delivery_jobs as j')
      .where(inScope)
      .where('j.state', 'in', ['queued', 'running'])
      .select((eb) => eb.fn.min<number>('j.created_at').as('at'))
      .executeTakeFirst();
    return {
      /** Age of the oldest job of this scope still queued or running, in ms; 0 when none. */
      oldestAgeMs: oldest?.at == null ? 0 : Math.max(0, Date.now() - Number(oldest.at)),
      counts: Object.fromEntries(counts.map((c) => [c.state, Number(c.n)])) as Record<string, number>,
      live: live.map(toView),
      ended: ended.map(toView),
    };
  }
  return { overview };
}

export type DeliveryView = ReturnType<typeof createDeliveryView>;
