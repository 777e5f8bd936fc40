/**
 * The development outbox: a channel that stores each message so a person can read it at
 * GET /dev/outbox. It holds codes in clear text by design, which is why production refuses it
 * unless GATEHOUSE_OUTBOX is set. Every send of a code writes here, so it is a prepared statement.
 */
import { OUTBOX_INSERT } from '../core/outbox/outbox.js';
import type { Statements } from '../storage/statements.js';
import type { Channel } from './channel.js';

export function createOutboxChannel(statements: Statements): Channel {
  const insert = statements.prepare(OUTBOX_INSERT);
  return {
    local: true,
    async send(message) {
      const id = await insert.insert(message.tenantId, message.channel, message.to, message.from ?? null, message.subject ?? null, message.body, Date.now());
      return { provider: 'outbox', providerId: String(id), status: 'delivered' };
    },
  };
}
