/**
 * A local stand-in for Twilio's REST API, just the endpoints Gatehouse calls: Messages.json and
 * Calls.json (POST), and IncomingPhoneNumbers.json (GET, paged). It checks HTTP Basic auth and the
 * account in the path, requires the parameters Twilio requires, answers with Twilio's JSON shapes and
 * error codes, records every request, and can be told to fail the next one (HTTP 500 or a dropped
 * connection). Besides its own account it can hold others (`addAccount`), each with its own numbers.
 *
 * Fault injection for the delivery queue: a list of failures for the next requests, or for the next
 * requests to one number (500, 429 with Retry-After, a hang past the client's timeout, a dropped
 * connection, an error of Twilio's); every answer slowed by `delayMs`; and, for a number, a status
 * callback posted (signed as Twilio signs it) to the server after a message or call was accepted,
 * e.g. "undelivered". `accepted` lists what it took (2xx answers), which is what tests count.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The form as sent; a repeated name keeps its last value. */
  form: Record<string, string>;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  requests: FakeTwilioRequest[];
  /** Gives an account (the fake's own by default) an incoming number. */
  addNumber(phoneNumber: string, options?: { accountSid?: string; friendlyName?: string; voice?: boolean }): FakeNumber;
  /** Another Twilio account the fake serves, with its auth token. */
  addAccount(accountSid: string, authToken: string): void;
  /** The next request answers 500, drops the connection, hangs past any client timeout, or answers this error. */
  failNext(how: Failure): void;
  /** The next requests (any number, or only those to `to`) fail in these ways, one each, in order. */
  failSequence(hows: Failure[], to?: string): void;
  /** Failures given to failSequence (for any number) not used yet. */
  pendingFailures(): number;
  /** Every answer waits this long first (a slow provider); 0 by default. */
  delayMs: number;
  /** Messages and calls accepted (2xx), in order. */
  accepted: FakeTwilioAccepted[];
  /**
   * After accepting a message or call to `to`, post this status to the server's status callback: the
   * StatusCallback URL's path on `serverUrl`, signed over the StatusCallback URL as Twilio signs it.
   */
  reportFor(to: string, status: string, options?: { errorCode?: string; resource?: 'Messages' | 'Calls' }): void;
  /** Where status callbacks go (the server under test's base URL). */
  callbacksTo(serverUrl: string): void;
  close(): Promise<void>;
}

export interface FakeNumber {
  sid: string;
  phone_number: string;
  friendly_name: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
}

export type Failure = 'http500' | 'drop' | 'hang' | { status: number; code: number; message: string; retryAfter?: string };

export interface FakeTwilioAccepted {
  sid: string;
  resource: 'Messages' | 'Calls';
  to: string;
  /** The SMS body, or the call's TwiML. */
  body: string;
  at: number;
}

/** Twilio's 429: too many requests, with the seconds to wait. */
export const tooManyRequests = (retryAfter: string): Failure => ({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter });

const E164 = /^\+[1-9]\d{1,14}$/;

export async function startFakeTwilio(
  credentials: { accountSid?: string; authToken?: string; apiKeySid?: string; apiKeySecret?: string } = {},
): Promise<FakeTwilio> {
  const accountSid = credentials.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = credentials.authToken ?? randomBytes(16).toString('hex');
  // Per account: the Basic credentials it accepts, and its numbers.
  const accounts = new Map<string, { accepted: Set<string>; numbers: FakeNumber[] }>();
  accounts.set(accountSid, { accepted: new Set([`${accountSid}:${authToken}`]), numbers: [] });
  if (credentials.apiKeySid && credentials.apiKeySecret) accounts.get(accountSid)!.accepted.add(`${credentials.apiKeySid}:${credentials.apiKeySecret}`);
  // Page tokens the fake handed out in next_page_uri: Twilio refuses a page past the first without one.
  const pageTokens = new Map<string, number>();
  const requests: FakeTwilioRequest[] = [];
  let failure: Failure | null = null;
  const failures: Failure[] = [];
  const failuresFor = new Map<string, Failure[]>();
  const reports = new Map<string, { status: string; errorCode?: string; resource: 'Messages' | 'Calls' }>();
  const accepted: FakeTwilioAccepted[] = [];
  let callbackBase: string | null = null;
  const hanging = new Set<ServerResponse>();
  const state = { delayMs: 0 };

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const [path = '', search = ''] = (req.url ?? '').split('?');
    const form = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? search : body));
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));

    const forTo = form.To ? failuresFor.get(form.To) : undefined;
    const current = failure ?? forTo?.shift() ?? failures.shift() ?? null;
    failure = null;
    if (current === 'drop') return req.socket.destroy();
    if (current === 'hang') return void hanging.add(res);
    if (current === 'http500') return error(res, 500, 20500, 'Internal Server Error');
    if (current) {
      if (current.retryAfter !== undefined) res.setHeader('retry-after', current.retryAfter);
      return error(res, current.status, current.code, current.message);
    }

    const numbersPath = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\.json$/.exec(path);
    if (numbersPath) {
      if (req.method !== 'GET') return error(res, 405, 20004, 'Method not allowed');
      const account = accounts.get(decodeURIComponent(numbersPath[1] ?? ''));
      if (!account?.accepted.has(basicCredentials(req.headers.authorization))) return error(res, 401, 20003, 'Authenticate');
      return listNumbers(res, path, numbersPath[1]!, account.numbers, form);
    }
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    if (!m || req.method !== 'POST') return error(res, 404, 20404, `The requested resource ${path} was not found`);
    if (!accounts.get(accountSid)!.accepted.has(basicCredentials(req.headers.authorization))) return error(res, 401, 20003, 'Authenticate');
    if (decodeURIComponent(m[1] ?? '') !== accountSid) return error(res, 401, 20003, 'Authenticate');
    if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return error(res, 400, 21609, 'Invalid content type');
    }
    const isCall = m[2] === 'Calls';
    if (!form.To) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (isCall ? !form.From : !form.From && !form.MessagingServiceSid) {
      return error(res, 400, 21603, "A 'From' phone number is required.");
    }
    if (!E164.test(form.To)) return error(res, 400, 21211, `The 'To' number ${form.To} is not a valid phone number.`);
    if (isCall && !form.Twiml && !form.Url && !form.ApplicationSid) {
      return error(res, 400, 21205, 'Url parameter is required.');
    }
    if (!isCall && !form.Body && !form.MediaUrl) return error(res, 400, 21602, 'Message body is required.');
    const sid = (isCall ? 'CA' : 'SM') + randomBytes(16).toString('hex');
    accepted.push({ sid, resource: isCall ? 'Calls' : 'Messages', to: form.To, body: (isCall ? form.Twiml : form.Body) ?? '', at: Date.now() });
    const report = reports.get(form.To);
    if (report && report.resource === (isCall ? 'Calls' : 'Messages') && form.StatusCallback && callbackBase) {
      const params: Record<string, string> = isCall
        ? { CallSid: sid, CallStatus: report.status, AccountSid: accountSid }
        : { MessageSid: sid, MessageStatus: report.status, AccountSid: accountSid, ...(report.errorCode && { ErrorCode: report.errorCode }) };
      const signature = createHmac('sha1', authToken).update(form.StatusCallback + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');
      const target = callbackBase + new URL(form.StatusCallback).pathname;
      // After the answer, as Twilio reports later; a refused callback is the test's to notice.
      setTimeout(() => {
        void fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params) }).catch(() => {});
      }, 20);
    }
    json(res, 201, {
      sid,
      account_sid: accountSid,
      to: form.To,
      from: form.From ?? null,
      status: 'queued',
      ...(isCall ? {} : { body: form.Body, messaging_service_sid: form.MessagingServiceSid ?? null }),
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${accountSid}/${m[2]}/${sid}.json`,
    });
  });
  /** Twilio's list shape: PageSize 1–1000 (default 50), Page from 0 with the PageToken of the previous page. */
  function listNumbers(res: ServerResponse, path: string, account: string, all: FakeNumber[], query: Record<string, string>): void {
    const pageSize = query.PageSize === undefined ? 50 : Number(query.PageSize);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return error(res, 400, 20001, 'PageSize must be between 1 and 1000');
    const page = query.Page === undefined ? 0 : Number(query.Page);
    if (!Number.isInteger(page) || page < 0) return error(res, 400, 20001, 'Invalid Page');
    if (page > 0 && pageTokens.get(query.PageToken ?? '') !== page) return error(res, 400, 20001, 'Invalid PageToken');
    const filtered = query.PhoneNumber ? all.filter((n) => n.phone_number.includes(query.PhoneNumber!)) : all;
    const items = filtered.slice(page * pageSize, (page + 1) * pageSize);
    const uri = (p: number, token?: string) => `${path}?PageSize=${pageSize}&Page=${p}${token ? `&PageToken=${token}` : ''}`;
    let next: string | null = null;
    if ((page + 1) * pageSize < filtered.length) {
      const token = `PA${randomBytes(16).toString('hex')}`;
      pageTokens.set(token, page + 1);
      next = uri(page + 1, token);
    }
    json(res, 200, {
      incoming_phone_numbers: items.map((n) => ({ ...n, account_sid: decodeURIComponent(account), uri: `/2010-04-01/Accounts/${account}/IncomingPhoneNumbers/${n.sid}.json` })),
      start: page * pageSize,
      end: page * pageSize + Math.max(items.length - 1, 0),
      page,
      page_size: pageSize,
      uri: uri(page),
      first_page_uri: uri(0),
      next_page_uri: next,
      previous_page_uri: page > 0 ? uri(page - 1) : null,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    requests,
    addNumber(phoneNumber, options = {}) {
      if (!E164.test(phoneNumber)) throw new Error(`${phoneNumber} is not E.164`);
      const number: FakeNumber = {
        sid: `PN${randomBytes(16).toString('hex')}`,
        phone_number: phoneNumber,
        friendly_name: options.friendlyName ?? phoneNumber,
        capabilities: { voice: options.voice ?? true, sms: true, mms: false, fax: false },
      };
      const account = accounts.get(options.accountSid ?? accountSid);
      if (!account) throw new Error(`no fake account ${options.accountSid}`);
      account.numbers.push(number);
      return number;
    },
    addAccount(sid, token) {
      accounts.set(sid, { accepted: new Set([`${sid}:${token}`]), numbers: [] });
    },
    failNext(how) {
      failure = how;
    },
    failSequence(hows, to) {
      if (to) failuresFor.set(to, [...(failuresFor.get(to) ?? []), ...hows]);
      else failures.push(...hows);
    },
    pendingFailures: () => failures.length,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    accepted,
    reportFor(to, status, options = {}) {
      reports.set(to, { status, errorCode: options.errorCode, resource: options.resource ?? 'Messages' });
    },
    callbacksTo(serverUrl) {
      callbackBase = serverUrl.replace(/\/+$/, '');
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function basicCredentials(header: string | undefined): string {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  return m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

function error(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
