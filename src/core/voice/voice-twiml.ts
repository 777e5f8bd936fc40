/**
 * The TwiML of phone lines and agents' calls, built from small verbs. Every text and attribute value
 * goes through xmlEscape (channels/escape.ts), the same escaping the code calls use, so nothing a
 * tenant or a caller typed can change the document's structure.
 */
import { xmlEscape } from '../../channels/escape.js';

type Attrs = Record<string, string | number | boolean | null | undefined>;

function attrs(values: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(values)) if (value !== null && value !== undefined) out += ` ${name}="${xmlEscape(String(value))}"`;
  return out;
}

const element = (name: string, values: Attrs, body?: string) => (body === undefined ? `<${name}${attrs(values)}/>` : `<${name}${attrs(values)}>${body}</${name}>`);

export const twiml = (...verbs: string[]) => `<?xml version="1.0" encoding="UTF-8"?><Response>${verbs.join('')}</Response>`;

export const say = (s: { text: string; language?: string | null; voice?: string | null }) => element('Say', { language: s.language, voice: s.voice }, xmlEscape(s.text));
export const play = (url: string) => element('Play', {}, xmlEscape(url));
export const hangup = () => '<Hangup/>';
export const dial = (options: { timeout?: number; action?: string; callerId?: string; answerOnBridge?: boolean }, ...nouns: string[]) =>
  element('Dial', { timeout: options.timeout, action: options.action, method: options.action ? 'POST' : undefined, callerId: options.callerId, answerOnBridge: options.answerOnBridge }, nouns.join(''));
export const client = (identity: string, statusCallback?: string) =>
  element('Client', statusCallback ? { statusCallbackEvent: 'answered', statusCallback, statusCallbackMethod: 'POST' } : {}, xmlEscape(identity));
export const number = (phoneNumber: string) => element('Number', {}, xmlEscape(phoneNumber));
export const record = (options: { maxLength: number; action: string }) => element('Record', { maxLength: options.maxLength, playBeep: true, action: options.action, method: 'POST' });
