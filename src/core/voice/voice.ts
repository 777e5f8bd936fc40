/**
 * Voice through Twilio for contact-centre agents: Access Tokens for their browsers, the webhooks
 * that route calls, Twilio numbers, phone lines and call records. Faces call these; core/voice knows
 * nothing of HTTP.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { mintedTtlSeconds } from '../credentials/lifetimes.js';
import { now } from '../crypto.js';
import { GatehouseError, notFound } from '../errors.js';
import type { Tenants } from '../tenants/tenants.js';
import type { Settings } from '../verifications/settings.js';
import { requireCapability } from '../roles.js';
import { accessToken, clientIdentity } from './access-token.js';
import { createCallRecords } from './calls.js';
import { VoiceErrors } from './errors.js';
import { createPhoneLines } from './lines.js';
import { createPhoneNumbers } from './phone-numbers.js';
import { createRouting } from './routing.js';
import { createTwilioAccounts } from './twilio-accounts.js';
import { createVoiceWebhooks } from './webhooks.js';

export type Voice = ReturnType<typeof createVoice>;

export function createVoice(deps: CoreDeps, { tenants, settings }: { tenants: Tenants; settings: Settings }) {
  const accounts = createTwilioAccounts(deps, tenants);
  const routing = createRouting(deps);
  const numbers = createPhoneNumbers(deps, tenants, accounts);
  const lines = createPhoneLines(deps, { tenants, numbers, accounts, settings });
  const calls = createCallRecords(deps, { routing, accounts });
  const webhooks = createVoiceWebhooks(deps, { accounts, routing, calls, settings });

  /**
   * GET /voicetwilio/token: the caller's browser may receive its calls and place calls through the
   * TwiML app, for the configured lifetime or what is left of the caller's credential, whichever is shorter.
   */
  async function token(caller: Caller): Promise<{ token: string; identity: string; expiresAt: number; ttl: number }> {
    requireCapability(caller, 'voice.token');
    const tenant = await tenants.find(caller.tenantId);
    if (!tenant || caller.accountId === null) throw notFound('account');
    const account = accounts.required(await accounts.forTenant(tenant), 'set TWILIO_ACCOUNT_SID');
    if (!account.apiKey) throw new GatehouseError(VoiceErrors.notConfigured, 'Access Tokens need an API key: set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (or the site\'s apiKeySid)');
    if (!account.twimlAppSid) throw new GatehouseError(VoiceErrors.notConfigured, 'Access Tokens need a TwiML application: set TWILIO_TWIML_APP_SID (or the site\'s twimlAppSid)');
    const identity = clientIdentity(caller.accountId);
    const t = now();
    const ttl = mintedTtlSeconds(caller, deps.config.voice.tokenTtlSeconds, t);
    const { token, expiresAt } = await accessToken({ accountSid: account.accountSid, apiKeySid: account.apiKey.sid, apiKeySecret: account.apiKey.secret, twimlAppSid: account.twimlAppSid, identity, ttlSeconds: ttl, now: Math.floor(t / 1000) });
    return { token, identity, expiresAt, ttl };
  }

  return { token, accounts, numbers, lines, calls, webhooks };
}
