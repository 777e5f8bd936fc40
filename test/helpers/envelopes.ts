/**
 * Which error envelope each face answers in, by path prefix: the fuzz test (and any test that wants
 * to know "is this answer in its face's envelope?") reads this one table. A new face adds one line;
 * the first matching prefix wins, so a more specific prefix goes above a shorter one.
 */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

/** null when the answer is in the envelope, else what is wrong with it. */
export type EnvelopeCheck = (answer: Answer) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown) => typeof v === 'string';

/** Gatehouse's own endpoints: {"error": {"code", "message", "field"?}}. */
export const plain: EnvelopeCheck = ({ body }) =>
  isObject(body) && isObject(body.error) && isString(body.error.code) && isString(body.error.message)
    ? null
    : 'expected {"error": {"code", "message"}}';

/** Smart 2FA: {"code", "message", "requestID"} with code a number. */
export const smart2fa: EnvelopeCheck = ({ body }) =>
  isObject(body) && typeof body.code === 'number' && isString(body.message) && 'requestID' in body
    ? null
    : 'expected {"code", "message", "requestID"}';

/** Comm100 (2FA, login, voice configuration): {"error", "message"}, or v1's {"result": "fail"}. */
export const comm100: EnvelopeCheck = ({ body }) =>
  isObject(body) && ((isString(body.error) && isString(body.message)) || body.result === 'fail')
    ? null
    : 'expected {"error", "message"}';

/** Flexisip: {"message", "errors"?} (422 and most failures), or no body at all (401 with WWW-Authenticate). */
export const flexisip: EnvelopeCheck = ({ body, text }) =>
  text === '' || (isObject(body) && isString(body.message)) ? null : 'expected {"message", "errors"?} or an empty body';

/** Twilio's webhooks answer TwiML when they answer anything but the Comm100 envelope. */
export const twiml: EnvelopeCheck = (answer) =>
  /^\s*(<\?xml[^>]*>\s*)?<Response[\s>/]/.test(answer.text) || answer.text === '' ? null : comm100(answer);

/** Pages for people: an HTML error page. */
export const html: EnvelopeCheck = ({ contentType, text }) =>
  contentType.startsWith('text/html') && /<html|<!doctype/i.test(text) ? null : 'expected an HTML page';

export const ENVELOPES: ReadonlyArray<readonly [prefix: string, check: EnvelopeCheck]> = [
  // Comm100 v1 paths that live under Smart 2FA's /2fa/.
  ['/2fa/secretkey', comm100],
  ['/2fa/code', comm100],
  ['/2fa/', smart2fa],
  ['/global/', comm100],
  ['/globalapi/', comm100],
  ['/partnerglobal/', comm100],
  ['/partnerglobalapi/', comm100],
  ['/loginapi/', comm100],
  ['/partnerloginapi/', comm100],
  ['/voiceconfig/', comm100],
  ['/voicetwilio/', twiml],
  ['/api/', flexisip],
  ['/contacts/', flexisip],
  ['/', plain],
];

/** The envelope check of a path (the last entry, '/', catches everything). */
export function envelopeOf(path: string): EnvelopeCheck {
  return ENVELOPES.find(([prefix]) => path.startsWith(prefix))![1];
}

/** Whether a body looks like it carries a stack trace. */
export const hasStackTrace = (text: string) => /\bat [\w.<>]+ \(|node_modules\/|\.[jt]s:\d+:\d+/.test(text);
