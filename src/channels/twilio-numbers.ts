/**
 * Twilio's IncomingPhoneNumbers resource: every number of an account, page by page
 * (`GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json?PageSize=…`, then each
 * `next_page_uri` until it is null). Errors come back as TwilioNumbersError with Twilio's code and
 * message, never the credentials.
 */
export interface TwilioRest {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs: number;
}

export interface IncomingNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  voice: boolean;
  sms: boolean;
}

export class TwilioNumbersError extends Error {}

const PAGE_SIZE = 1000;
/** A guard against a next_page_uri that never ends: 50 pages of 1000 numbers. */
const MAX_PAGES = 50;

export async function listIncomingNumbers(rest: TwilioRest, accountSid: string): Promise<IncomingNumber[]> {
  const authorization = `Basic ${Buffer.from(`${rest.username}:${rest.password}`).toString('base64')}`;
  const numbers: IncomingNumber[] = [];
  let next: string | null = `/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/IncomingPhoneNumbers.json?PageSize=${PAGE_SIZE}`;
  for (let pages = 0; next !== null; pages++) {
    if (pages === MAX_PAGES) throw new TwilioNumbersError(`twilio listed more than ${MAX_PAGES} pages of numbers`);
    // next_page_uri is relative to the API's base; anything else is refused rather than followed.
    if (!next.startsWith('/2010-04-01/')) throw new TwilioNumbersError('twilio answered an unexpected next_page_uri');
    let response: Response;
    try {
      response = await fetch(rest.baseUrl + next, { headers: { authorization, accept: 'application/json' }, signal: AbortSignal.timeout(rest.timeoutMs) });
    } catch (err) {
      const name = (err as { name?: string }).name;
      throw new TwilioNumbersError(name === 'TimeoutError' || name === 'AbortError' ? `twilio did not answer within ${rest.timeoutMs / 1000} s` : 'cannot reach twilio');
    }
    let payload: Record<string, unknown> = {};
    try {
      payload = (await response.json()) as Record<string, unknown>;
    } catch {
      // A proxy's error page: the status still says what happened.
    }
    if (!response.ok) {
      const code = payload.code === undefined ? `HTTP ${response.status}` : `error ${String(payload.code)}`;
      const message = typeof payload.message === 'string' ? `: ${payload.message.replace(/[\u0000-\u001f]+/g, ' ').slice(0, 200)}` : '';
      throw new TwilioNumbersError(`twilio ${code}${message}`);
    }
    const list = Array.isArray(payload.incoming_phone_numbers) ? payload.incoming_phone_numbers : [];
    for (const item of list as Array<Record<string, unknown>>) {
      if (typeof item.phone_number !== 'string' || typeof item.sid !== 'string') continue;
      const capabilities = (item.capabilities ?? {}) as Record<string, unknown>;
      numbers.push({
        sid: item.sid,
        phoneNumber: item.phone_number,
        friendlyName: typeof item.friendly_name === 'string' ? item.friendly_name : item.phone_number,
        voice: capabilities.voice === true,
        sms: capabilities.sms === true,
      });
    }
    next = typeof payload.next_page_uri === 'string' ? payload.next_page_uri : null;
  }
  return numbers;
}
