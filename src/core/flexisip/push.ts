/**
 * How an account creation token reaches a device by push notification. The default provider writes
 * it to the development outbox; the webhook provider POSTs it as JSON to an HTTPS endpoint that
 * speaks to APNs / FCM. A provider answers true when the push was accepted.
 */
import type { Db } from '../../storage/database.js';

export interface PushMessage {
  pnProvider: string;
  pnParam: string;
  pnPrid: string;
  /** The account creation token the device should receive. */
  token: string;
}

export interface PushProvider {
  readonly name: string;
  send(message: PushMessage): Promise<boolean>;
}

export function outboxPushProvider(db: Db): PushProvider {
  return {
    name: 'outbox',
    async send(m) {
      await db
        .insertInto('outbox_messages')
        .values({ tenant_id: null, channel: 'push', to: m.pnPrid, from: m.pnProvider, subject: m.pnParam, body: JSON.stringify({ token: m.token }), created_at: Date.now() })
        .execute();
      return true;
    },
  };
}

export function webhookPushProvider(url: string, timeoutMs = 10_000): PushProvider {
  return {
    name: 'webhook',
    async send(m) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pn_provider: m.pnProvider, pn_param: m.pnParam, pn_prid: m.pnPrid, type: 'account_creation_token', token: m.token }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}
