/** Who a page request comes from: the signed-in agent (gh_session) or the console's operator. */
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { CONSOLE_KEY, SESSION, readCookie } from './cookies.js';

async function quietly(attempt: () => Promise<Caller>): Promise<Caller | null> {
  try {
    return await attempt();
  } catch (err) {
    // An expired or revoked credential is simply "not signed in"; anything else is a real failure.
    if (err instanceof GatehouseError) return null;
    throw err;
  }
}

/** The signed-in agent or super agent, or null. */
export async function sessionCaller(core: Core, request: FastifyRequest): Promise<Caller | null> {
  const jwt = readCookie(request, SESSION);
  return identified(request, jwt ? await quietly(() => core.credentials.authenticateJwt(jwt)) : null);
}

/** The page's caller is its request's caller too: the admin audit trail's "who" (faces/http/audit-trail.ts). */
function identified(request: FastifyRequest, caller: Caller | null): Caller | null {
  if (caller) request.caller = caller;
  return caller;
}

/** The console's operator: the API key it was given, else the signed-in account (core checks each action's reach). */
export async function consoleCaller(core: Core, request: FastifyRequest): Promise<Caller | null> {
  const key = readCookie(request, CONSOLE_KEY);
  // Under the API-key guessing limit (core/guessing) like a key in a header: a cookie is no way around it.
  const byKey = key ? await quietly(() => core.guessing.guard({ scheme: 'apiKey' }, request.ip, () => core.credentials.authenticateApiKey(key))) : null;
  return byKey ? identified(request, byKey) : sessionCaller(core, request);
}

/** A short label for the header: the account's email when it has one. */
export async function whoIs(core: Core, caller: Caller): Promise<string> {
  if (caller.accountId === null) return `tenant ${caller.tenantSid}`;
  const account = await core.accounts.get(caller, caller.accountId);
  return `${account.email ?? account.username ?? `account ${account.id}`} (${caller.role})`;
}
