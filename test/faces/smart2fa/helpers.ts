/** Shortcuts for Smart 2FA tests: a tenant's headers, a send, and the code the outbox received. */
import { randomInt } from 'node:crypto';
import { type Reply, type TestServer, apiKey, basic, call } from '../../helpers/server.js';

export interface Client {
  headers: Record<string, string>;
  post(path: string, json: unknown): Promise<Reply>;
  get(path: string): Promise<Reply>;
  send(fields?: Record<string, unknown>): Promise<Reply>;
}

export function client(server: TestServer, tenant: { sid: string; authToken: string } = server.admin.tenant): Client {
  const headers = basic(tenant.sid, tenant.authToken);
  const post = (path: string, json: unknown) => call(`${server.url}${path}`, { headers, json });
  return {
    headers,
    post,
    get: (path: string) => call(`${server.url}${path}`, { headers }),
    send: (fields = {}) => post('/2fa/send', { service: '2FA', from: '+14155550000', to: randomNumber(), body: 'Your code is {code}', ...fields }),
  };
}

/**
 * A US number no other call in this process returns: consecutive from a random start, so runs differ. Drawn
 * at random each time, 300 numbers collided once in about 180 runs, and the second send to the same number
 * was refused by its per-number limit (453).
 */
let nextNumber = randomInt(8_000_000);
export const randomNumber = () => `+1415${2_000_000 + (nextNumber++ % 8_000_000)}`;

/** The code in the newest outbox message to `to`. */
export async function codeSentTo(server: TestServer, to: string): Promise<string> {
  const res = await call(`${server.url}/dev/outbox?to=${encodeURIComponent(to)}&limit=1`, { headers: apiKey(server.admin.apiKey) });
  const body: string = res.body.messages[0].body;
  return /\d{4,10}/.exec(body)![0];
}

export async function subTenant(server: TestServer, parent: { sid: string; authToken: string }, name = 'sub') {
  const res = await call(`${server.url}/admin/tenants`, { headers: basic(parent.sid, parent.authToken), json: { name } });
  return res.body as { id: number; sid: string; authToken: string };
}
