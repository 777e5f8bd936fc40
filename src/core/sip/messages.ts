/**
 * POST /api/messages: an Admin sends a SIP MESSAGE to an account of a domain it administers, through
 * the configured SIP proxy. The sender is the admin's own SIP address, or `sip:gatehouse@<domain>`
 * for a deployment or tenant credential. Only a 2xx final answer counts as sent.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { CommonErrors, GatehouseError, invalid } from '../errors.js';
import { createAccess } from '../flexisip/access.js';
import { splitSipAddress } from '../sip-directory/access.js';
import { RFC3261_TIMERS, type SipTimers, sendSipMessage } from './message.js';

const BODY_MAX = 8_000;

export type SipMessages = ReturnType<typeof createSipMessages>;

export function createSipMessages(deps: CoreDeps, timers: SipTimers = RFC3261_TIMERS) {
  const access = createAccess(deps);
  const proxy = deps.config.sip.proxy;

  async function send(caller: Caller, input: { to?: unknown; body?: unknown }): Promise<{ id: string }> {
    const scope = await access.adminScope(caller);
    if (input.to === undefined || input.to === null || input.to === '') throw invalid('to', 'The to field is required.');
    const to = typeof input.to === 'string' ? splitSipAddress(input.to) : null;
    if (!to || !/^[A-Za-z0-9._~+!$&'()*,=%-]+$/.test(to.username)) throw invalid('to', 'The to must be a SIP address such as user@domain.');
    if (input.body === undefined || input.body === null || input.body === '') throw invalid('body', 'The body field is required.');
    if (typeof input.body !== 'string') throw invalid('body', 'The body must be a string.');
    if (Buffer.byteLength(input.body) > BODY_MAX) throw invalid('body', `The body must not be greater than ${BODY_MAX} bytes.`);
    if (!access.inScope(scope, to.domain)) throw invalid('to', 'The to must be in a domain you administer.');
    if (!proxy) throw new GatehouseError(CommonErrors.unavailable, 'no SIP proxy is configured (GATEHOUSE_SIP_PROXY)');
    let from = `sip:gatehouse@${to.domain}`;
    if (caller.accountId !== null && caller.role === 'sipadmin') {
      const me = await deps.db.selectFrom('accounts').select(['username', 'domain']).where('id', '=', caller.accountId).executeTakeFirst();
      if (me?.username && me.domain) from = `sip:${me.username}@${me.domain}`;
    }
    const sent = await sendSipMessage(proxy, { from, to: `sip:${to.username}@${to.domain}`, body: input.body }, timers);
    if (sent.status >= 200 && sent.status < 300) return { id: sent.callId };
    if (sent.timedOut || sent.status === 503) throw new GatehouseError(CommonErrors.unavailable, `the SIP proxy did not deliver the message: ${sent.status} ${sent.reason}`);
    throw invalid('to', `The message was refused: SIP ${sent.status} ${sent.reason}`);
  }

  return { send };
}
