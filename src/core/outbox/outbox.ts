/** Reading the development outbox: admins only, newest first. */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError, CommonErrors } from '../errors.js';
import { requireCapability } from '../roles.js';

export interface OutboxMessage {
  id: number;
  tenantId: number | null;
  channel: string;
  to: string;
  from: string | null;
  subject: string | null;
  body: string;
  createdAt: number;
}

export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox({ db, config }: CoreDeps) {
  async function list(caller: Caller, options: { to?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
    if (!config.outboxEnabled) {
      throw new GatehouseError(CommonErrors.notFound, 'the development outbox is disabled (GATEHOUSE_OUTBOX)');
    }
    requireCapability(caller, 'outbox.read');
    let query = db.selectFrom('outbox_messages').selectAll().orderBy('id', 'desc').limit(options.limit ?? 50);
    if (options.to) query = query.where('to', '=', options.to);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      tenantId: r.tenant_id === null ? null : Number(r.tenant_id),
      channel: r.channel,
      to: r.to,
      from: r.from,
      subject: r.subject,
      body: r.body,
      createdAt: Number(r.created_at),
    }));
  }
  return { list };
}
