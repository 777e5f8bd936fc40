/**
 * A local stand-in for Twilio's REST API, just the two endpoints Gatehouse calls: Messages.json and
 * Calls.json. It checks HTTP Basic auth and the account in the path, requires the parameters Twilio
 * requires, answers with Twilio's JSON shapes and error codes, records every request, and can be told
 * to fail the next one (HTTP 500 or a dropped connection).
 */
import { randomBytes } from 'node:crypto';
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
  /** The next request answers 500, drops the connection, hangs past any client timeout, or answers this error. */
  failNext(how: Failure): void;
  close(): Promise<void>;
}

type Failure = 'http500' | 'drop' | 'hang' | { status: number; code: number; message: string };

const E164 = /^\+[1-9]\d{1,14}$/;

export async function startFakeTwilio(
  credentials: { accountSid?: string; authToken?: string; apiKeySid?: string; apiKeySecret?: string } = {},
): Promise<FakeTwilio> {
  const accountSid = credentials.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = credentials.authToken ?? randomBytes(16).toString('hex');
  const accepted = new Set([`${accountSid}:${authToken}`]);
  if (credentials.apiKeySid && credentials.apiKeySecret) accepted.add(`${credentials.apiKeySid}:${credentials.apiKeySecret}`);
  const requests: FakeTwilioRequest[] = [];
  let failure: Failure | null = null;
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const form = Object.fromEntries(new URLSearchParams(body));
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, contentType: req.headers['content-type'], form });

    const current = failure;
    failure = null;
    if (current === 'drop') return req.socket.destroy();
    if (current === 'hang') return void hanging.add(res);
    if (current === 'http500') return error(res, 500, 20500, 'Internal Server Error');
    if (current) return error(res, current.status, current.code, current.message);

    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    if (!m || req.method !== 'POST') return error(res, 404, 20404, `The requested resource ${path} was not found`);
    if (!accepted.has(basicCredentials(req.headers.authorization))) return error(res, 401, 20003, 'Authenticate');
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    requests,
    failNext(how) {
      failure = how;
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
