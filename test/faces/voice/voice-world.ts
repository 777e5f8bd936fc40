/**
 * A voice world on a test server: the Comm100 world (partner P with sites A and B, partner Q with
 * site C, agents and super agents with JWTs) served by a fake Twilio account holding numbers, with
 * every voice setting configured, and Twilio's side of the webhooks: forms signed by the official
 * `twilio` package.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import twilio from 'twilio';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { type Reply, basic, call } from '../../helpers/server.js';
import type { Dialect } from '../../helpers/services.js';
import { type World, startWorld } from '../comm100/twofactor-world.js';

export const PUBLIC_URL = 'https://gatehouse.example';
export const API_KEY_SID = `SK${randomBytes(16).toString('hex')}`;
export const API_KEY_SECRET = randomBytes(16).toString('hex');
export const TWIML_APP_SID = `AP${randomBytes(16).toString('hex')}`;

export interface VoiceWorld extends World {
  twilio: FakeTwilio;
  /** A fresh number of the fake account (assigned to nobody yet). */
  newNumber(accountSid?: string): string;
  /** Assigns a deployment number to a site as the admin. */
  assign(phoneNumber: string, siteId: number): Promise<void>;
  /** Creates a line as the admin. */
  line(siteId: number, fields: Record<string, unknown>): Promise<Reply>;
  /** Twilio posting a signed form to a webhook path (with query), as the deployment's account unless told. */
  webhook(pathAndQuery: string, form: Record<string, string>, options?: { authToken?: string; signature?: string; tamper?: Record<string, string> }): Promise<Reply>;
  close(): Promise<void>;
}

export const randomE164 = () => `+1415${2_000_000 + randomInt(8_000_000)}`;
export const callSid = () => `CA${randomBytes(16).toString('hex')}`;

export async function startVoiceWorld(dialect: Dialect, env: Record<string, string> = {}): Promise<VoiceWorld> {
  const fake = await startFakeTwilio({ apiKeySid: API_KEY_SID, apiKeySecret: API_KEY_SECRET });
  const world = await startWorld(dialect, {
    env: {
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_API_KEY_SID: API_KEY_SID,
      TWILIO_API_KEY_SECRET: API_KEY_SECRET,
      TWILIO_TWIML_APP_SID: TWIML_APP_SID,
      TWILIO_BASE_URL: fake.url,
      GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
      ...env,
    },
  });
  const url = world.server.url;
  return {
    ...world,
    twilio: fake,
    newNumber(accountSid) {
      const n = randomE164();
      fake.addNumber(n, { accountSid });
      return n;
    },
    async assign(phoneNumber, siteId) {
      const res = await world.api('PUT', `/voiceconfig/phonenumbers/${encodeURIComponent(phoneNumber)}`, world.admin, { siteId });
      if (res.status !== 200) throw new Error(`assign: ${res.status} ${res.text}`);
    },
    line: (siteId, fields) => world.api('POST', '/voiceconfig/phonelines', world.admin, { siteId, ...fields }),
    async webhook(pathAndQuery, form, options = {}) {
      const full = { AccountSid: fake.accountSid, ...form };
      const signature = options.signature ?? twilio.getExpectedTwilioSignature(options.authToken ?? fake.authToken, PUBLIC_URL + pathAndQuery, full);
      const sent = { ...full, ...options.tamper };
      return call(`${url}${pathAndQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(sent).toString(),
      });
    },
    async close() {
      await world.server.close();
      await fake.close();
    },
  };
}

export { basic };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, isArray: (name) => ['Say', 'Play', 'Dial', 'Client', 'Number', 'Record', 'Hangup'].includes(name), preserveOrder: false });

/** Parses a TwiML answer after checking it is well-formed XML; throws otherwise. */
export function parseTwiml(text: string): { Response: Record<string, any> } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}\n${text}`);
  const doc = parser.parse(text) as { Response?: Record<string, any> };
  if (!doc.Response || typeof doc.Response !== 'object') {
    if (doc.Response === '') return { Response: {} };
    throw new Error(`no <Response>: ${text}`);
  }
  return doc as { Response: Record<string, any> };
}

/** The verbs of a TwiML answer, in document order (element names directly under <Response>). */
export function verbs(text: string): string[] {
  parseTwiml(text);
  const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: true }).parse(text) as Array<Record<string, any>>;
  const response = ordered.find((n) => 'Response' in n)!;
  return (response.Response as Array<Record<string, unknown>>).map((n) => Object.keys(n).find((k) => k !== ':@')!);
}
