/** The development outbox: the one way a message is stored in it, and reading it (admins only, newest first). */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError, CommonErrors } from '../errors.js';
import { requireCapability } from '../roles.js';

/**
 * Stores a message (tenant_id, channel, to, from, subject, body, created_at), returning its id. Used
 * by the outbox channel and by a send of a code, which writes it with the request's own writes
 * (on PostgreSQL, gh_send_to_outbox in migration 0012 does the same insert).
 */
export const OUTBOX_INSERT = 'insert into outbox_messages (tenant_id, channel, "to", "from", subject, body, created_at) values (?, ?, ?, ?, ?, ?, ?)';

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
