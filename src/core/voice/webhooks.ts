/**
 * Twilio's voice webhooks: who signed them, and the TwiML that answers them.
 *
 * - An incoming call to a line's number: the greeting, then a <Dial> ringing the browsers of the
 *   line's agents for the line's ring timeout; the <Dial>'s action comes back here (`?dialed=<line>`)
 *   and, when nobody answered, plays the line's fallback (voicemail, forward, or a message).
 * - An agent's browser calling out (`From=client:agent_<id>`): dialled only from a number of a line
 *   the agent is on, to a destination the site's country allow list accepts; otherwise a spoken
 *   refusal and <Hangup/>.
 * A webhook is accepted only with a valid X-Twilio-Signature from the Twilio account it names, and a
 * call is routed only to a line of a site that account serves: one tenant's number never reaches
 * another's line.
 */
import { validateTwilioSignature } from '../../channels/twilio-status.js';
import { isE164 } from '../../channels/twilio.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError } from '../errors.js';
import type { Settings } from '../verifications/settings.js';
import { clientIdentity, accountOfClient } from './access-token.js';
import type { CallRecords } from './calls.js';
import { VoiceErrors } from './errors.js';
import type { Fallback } from './lines.js';
import type { RoutedLine, Routing } from './routing.js';
import type { TwilioAccount, TwilioAccounts } from './twilio-accounts.js';
import { client, dial, hangup, number, play, record, say, twiml } from './voice-twiml.js';

export const VOICE_PATH = '/voicetwilio/voice';
export const STATUS_CALLBACK_PATH = '/voicetwilio/statuscallback';
export const FALLBACK_PATH = '/voicetwilio/fallback';

const SORRY = 'Sorry, we cannot take your call right now. Goodbye.';
const NOT_IN_SERVICE = 'The number you have called is not in service. Goodbye.';
const THANKS = 'Thank you for your message. Goodbye.';

/** A refused agent call: what the agent hears (never why in detail: the README lists the reasons). */
const refusal = (reason: string) => twiml(say({ text: `This call cannot be placed: ${reason}.` }), hangup());

export type VoiceWebhooks = ReturnType<typeof createVoiceWebhooks>;

export function createVoiceWebhooks({ config }: CoreDeps, deps: { accounts: TwilioAccounts; routing: Routing; calls: CallRecords; settings: Settings }) {
  const { accounts, routing, calls, settings } = deps;

  /**
   * The account that signed a webhook. `url` is the full URL Twilio requested (public URL + path +
   * query string, which Twilio signs too). Throws bad_signature otherwise.
   */
  async function verify(url: string, form: Record<string, string>, signature: string | undefined): Promise<TwilioAccount> {
    const account = await accounts.byAccountSid(form.AccountSid);
    if (!account?.authToken || !validateTwilioSignature(account.authToken, url, form, signature)) {
      throw new GatehouseError(VoiceErrors.badSignature, 'invalid X-Twilio-Signature');
    }
    return account;
  }

  const base = (requestBase: string) => config.publicUrl ?? requestBase;
  const servedBy = (line: RoutedLine, account: TwilioAccount) => (line.ownAccountSid ?? accounts.deployment?.accountSid) === account.accountSid;

  /** What a caller hears when nobody answered (or nobody can). */
  function fallbackVerbs(fallback: Fallback, line: RoutedLine, from: string, origin: string): string[] {
    switch (fallback.type) {
      case 'voicemail':
        return [
          ...(fallback.text ? [say({ ...fallback, text: fallback.text })] : []),
          record({ maxLength: fallback.maxLength, action: `${origin}${VOICE_PATH}?recorded=${line.id}` }),
          hangup(),
        ];
      case 'forward':
        // The caller's own number is shown to the forward target, as a transfer would.
        return [dial({ timeout: line.ringTimeout, callerId: isE164(from) ? from : line.phoneNumber }, number(fallback.number)), hangup()];
      case 'message':
        return [say(fallback), hangup()];
    }
  }

  /** A ringing line's TwiML depends on the line and the origin only: built once per cached line. */
  const ringing = new WeakMap<RoutedLine, { origin: string; xml: string }>();

  function inboundTwiml(line: RoutedLine, from: string, origin: string): string {
    const built = ringing.get(line);
    if (built?.origin === origin) return built.xml;
    const greeting = line.greeting.type === 'say' ? [say(line.greeting)] : line.greeting.type === 'play' ? [play(line.greeting.url)] : [];
    // With nobody to ring the answer depends on the caller (a forward shows their number): not kept.
    if (line.agentIds.length === 0) return twiml(...greeting, ...fallbackVerbs(line.fallback, line, from, origin));
    const statusCallback = `${origin}${STATUS_CALLBACK_PATH}`;
    const xml = twiml(
      ...greeting,
      dial(
        { timeout: line.ringTimeout, action: `${origin}${VOICE_PATH}?dialed=${line.id}`, answerOnBridge: true },
        ...line.agentIds.map((id) => client(clientIdentity(id), statusCallback)),
      ),
    );
    ringing.set(line, { origin, xml });
    return xml;
  }

  async function outbound(form: Record<string, string>, account: TwilioAccount, agentId: number): Promise<string> {
    const agent = await routing.agent(agentId);
    if (!agent || !agent.usable || (await accounts.sidForTenant({ path: agent.tenantPath })) !== account.accountSid) return refusal('this browser is not an agent of this service');
    const to = form.To ?? '';
    const callerId = form.CallerId || agent.lines[0]?.phoneNumber;
    const line = agent.lines.find((l) => l.phoneNumber === callerId);
    const open = (status: string, withLine: typeof line | null) =>
      calls.open({ callSid: form.CallSid!, tenantId: withLine?.tenantId ?? agent.tenantId, direction: 'outbound', from: callerId ?? form.From!, to, line: withLine ?? null, agentId, status, at: Date.now() });
    if (!line) {
      await open('refused', null);
      return refusal('the caller ID is not a number of a line you are on');
    }
    if (!isE164(to)) {
      await open('refused', line);
      return refusal('the number called is not a full international number');
    }
    try {
      await settings.assertDestinationAllowed({ path: line.tenantPath }, to);
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      await open('refused', line);
      return refusal('the destination country is not allowed');
    }
    await open('initiated', line);
    return twiml(dial({ callerId: line.phoneNumber, answerOnBridge: true }, number(to)));
  }

  /**
   * POST /voicetwilio/voice, signed by `account`. `query` carries the step Gatehouse itself put in an
   * action URL (dialed=<line> after the agents' ring, recorded=<line> after a voicemail).
   */
  async function voice(form: Record<string, string>, query: { dialed?: number; recorded?: number }, account: TwilioAccount, requestBase: string): Promise<string> {
    const origin = base(requestBase);
    if (query.recorded !== undefined) {
      await calls.applyRecording(form, account);
      return twiml(say({ text: THANKS }), hangup());
    }
    if (query.dialed !== undefined) {
      const status = form.DialCallStatus ?? '';
      if (status === 'completed' || status === 'answered') return twiml(hangup());
      const line = await routing.lineById(query.dialed);
      if (!line || !servedBy(line, account)) return twiml(say({ text: SORRY }), hangup());
      return twiml(...fallbackVerbs(line.fallback, line, form.From ?? '', origin));
    }
    const agentId = accountOfClient(form.From);
    if (agentId !== null) return outbound(form, account, agentId);
    const line = await routing.lineByNumber(form.To ?? '');
    if (!line || !servedBy(line, account)) return twiml(say({ text: NOT_IN_SERVICE }), hangup());
    return inboundTwiml(line, form.From ?? '', origin);
  }

  /** POST /voicetwilio/fallback: Twilio could not use the voice URL's answer; keep why, apologise, hang up. */
  async function fallback(form: Record<string, string>, account: TwilioAccount): Promise<string> {
    await calls.applyFallback(form, account);
    return twiml(say({ text: SORRY }), hangup());
  }

  return { verify, voice, fallback };
}
