/**
 * The development outbox: a channel that stores each message so a person can read it at
 * GET /dev/outbox. It holds codes in clear text by design, which is why production refuses it
 * unless GATEHOUSE_OUTBOX is set.
 */
import type { Db } from '../storage/database.js';
import type { Channel } from './channel.js';

export function createOutboxChannel(db: Db): Channel {
  return {
    async send(message) {
      const row = await db
        .insertInto('outbox_messages')
        .values({
          tenant_id: message.tenantId,
          channel: message.channel,
          to: message.to,
          from: message.from ?? null,
          subject: message.subject ?? null,
          body: message.body,
          created_at: Date.now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { provider: 'outbox', providerId: String(row.id), status: 'delivered' };
    },
  };
}
