/**
 * What a webhook needs to route a call, in statements prepared once (an incoming call is a hot path:
 * storage/statements.ts): the line a number rings with the Twilio account serving its site (one row),
 * then its ringing agents; and the lines an agent may call from. Each is kept in a fresh cache
 * (core/fresh-cache.ts): a line changes a few times a day and rings on every call; a change made here
 * is seen by the next call, one made on another node within a second.
 */
import { isSiteAgent } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { freshCache } from '../fresh-cache.js';
import type { Fallback, Greeting } from './lines.js';

export interface RoutedLine {
  id: number;
  tenantId: number;
  tenantPath: string;
  name: string;
  phoneNumber: string;
  greeting: Greeting;
  ringTimeout: number;
  fallback: Fallback;
  /** Agents who may ring now: on the line, agent or super agent, not blocked, activated. */
  agentIds: number[];
  /** The Twilio account serving the line's site (its own or the nearest above it), null for the deployment's. */
  ownAccountSid: string | null;
}

type LineRow = {
  id: number;
  tenant_id: number;
  path: string;
  name: string;
  phone_number: string;
  greeting: string;
  ring_timeout: number;
  fallback: string;
  account_sid: string | null;
};

const LINE = `select l.id, l.tenant_id, t.path, l.name, l.phone_number, l.greeting, l.ring_timeout, l.fallback,
  (select v.account_sid from voice_twilio_accounts v inner join tenants vt on vt.id = v.tenant_id where t.path like vt.path || '%' order by length(vt.path) desc limit 1) as account_sid
  from phone_lines l inner join tenants t on t.id = l.tenant_id`;

function toRouted(line: LineRow | undefined, agents: Array<{ id: number }>): RoutedLine | null {
  if (!line) return null;
  return {
    id: Number(line.id),
    tenantId: Number(line.tenant_id),
    tenantPath: line.path,
    name: line.name,
    phoneNumber: line.phone_number,
    greeting: JSON.parse(line.greeting) as Greeting,
    ringTimeout: Number(line.ring_timeout),
    fallback: JSON.parse(line.fallback) as Fallback,
    agentIds: agents.map((a) => Number(a.id)),
    ownAccountSid: line.account_sid,
  };
}

export interface CallingAgent {
  id: number;
  tenantId: number;
  tenantPath: string;
  usable: boolean;
  /** The agent's lines: id, name, number, site. */
  lines: Array<{ id: number; name: string; phoneNumber: string; tenantId: number; tenantPath: string }>;
}

export type Routing = ReturnType<typeof createRouting>;

export function createRouting({ statements, changes }: CoreDeps) {
  const byNumber = statements.prepare<LineRow>(`${LINE} where l.phone_number = ?`);
  const byId = statements.prepare<LineRow>(`${LINE} where l.id = ?`);
  const ringing = statements.prepare<{ id: number }>(
    "select a.id from phone_line_agents pa inner join accounts a on a.id = pa.account_id where pa.line_id = ? and a.blocked = 0 and a.activated = 1 and a.role in ('agent', 'siteadmin', 'superagent') order by a.id",
  );
  const withAgents = async (line: LineRow | undefined) => toRouted(line, line ? await ringing.all(line.id) : []);
  const agent = statements.prepare<{ id: number; tenant_id: number; path: string; role: string; blocked: number; activated: number }>(
    'select a.id, a.tenant_id, t.path, a.role, a.blocked, a.activated from accounts a inner join tenants t on t.id = a.tenant_id where a.id = ?',
  );
  const agentLines = statements.prepare<{ id: number; name: string; phone_number: string; tenant_id: number; path: string }>(
    'select l.id, l.name, l.phone_number, l.tenant_id, t.path from phone_line_agents pa inner join phone_lines l on l.id = pa.line_id inner join tenants t on t.id = l.tenant_id where pa.account_id = ? order by l.id',
  );

  const byNumberCache = freshCache<string, RoutedLine>(changes);
  const byIdCache = freshCache<number, RoutedLine>(changes);
  const agents = freshCache<number, CallingAgent>(changes);
  const routed = async (line: LineRow | undefined) => (await withAgents(line)) ?? undefined;

  async function callingAgent(accountId: number): Promise<CallingAgent | undefined> {
    const row = await agent.get(accountId);
    if (!row) return undefined;
    const lines = await agentLines.all(accountId);
    return {
      id: Number(row.id),
      tenantId: Number(row.tenant_id),
      tenantPath: row.path,
      usable: (isSiteAgent(row.role) || row.role === 'superagent') && !Number(row.blocked) && Boolean(Number(row.activated)),
      lines: lines.map((l) => ({ id: Number(l.id), name: l.name, phoneNumber: l.phone_number, tenantId: Number(l.tenant_id), tenantPath: l.path })),
    };
  }

  return {
    lineByNumber: async (phoneNumber: string) => (await byNumberCache.read(phoneNumber, async () => routed(await byNumber.get(phoneNumber)))) ?? null,
    lineById: async (id: number) => (await byIdCache.read(id, async () => routed(await byId.get(id)))) ?? null,
    agent: async (accountId: number) => (await agents.read(accountId, () => callingAgent(accountId))) ?? null,
  };
}
