/**
 * Starts that cannot go on, each told in one line on stderr that names its cause and the setting or
 * command that fixes it, instead of a driver's stack trace: nothing is wrong with the code. The lines
 * name hosts and ports, never a URL (it may hold a password).
 */
import { channelReadiness } from './channels/readiness.js';
import type { Config, DatabaseConfig } from './config.js';

export class StartError extends Error {}

type SystemError = NodeJS.ErrnoException & { errors?: SystemError[] };

/** Socket errors that mean a server was not reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** The first line of an error's message, with its code when the message lacks it. */
function reason(err: unknown): string {
  const e = err as SystemError;
  // Node's connect() to a name with several addresses fails with an AggregateError of one per address.
  const first = e?.errors?.[0] ?? e;
  const message = String(first?.message || e?.code || err).split('\n')[0]!;
  return first?.code && !message.includes(first.code) ? `${first.code}: ${message}` : message;
}

function hostOf(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || defaultPort}`;
  } catch {
    return `localhost:${defaultPort}`;
  }
}

export function dataDirRefusal(dataDir: string, err: unknown): StartError {
  return new StartError(`the data folder ${dataDir} is not writable by this user (GATEHOUSE_DATA_DIR): ${reason(err)}`);
}

export function redisRefusal(url: string, err: unknown): StartError {
  return new StartError(`cannot reach Redis at ${hostOf(url, 6379)} (REDIS_URL): ${reason(err)}`);
}

/** A PostgreSQL failure at first contact as one line, or undefined when the error is something else. */
export function databaseRefusal(database: DatabaseConfig, err: unknown): StartError | undefined {
  if (database.dialect !== 'postgres') return undefined;
  const code = (err as SystemError)?.code;
  const where = hostOf(database.url, 5432);
  if (code === '3D000') {
    // invalid_catalog_name: the server answers, the database is not there.
    const u = new URL(database.url);
    const name = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username);
    const user = u.username ? ` -U ${decodeURIComponent(u.username)}` : '';
    return new StartError(`PostgreSQL database "${name}" does not exist on ${where}; create it with: createdb -h ${u.hostname || 'localhost'} -p ${u.port || 5432}${user} ${name}`);
  }
  // invalid_password, invalid_authorization_specification, and the socket failing to connect.
  if (code === '28P01' || code === '28000' || (code && UNREACHABLE.has(code))) {
    return new StartError(`cannot reach PostgreSQL at ${where} (DATABASE_URL): ${reason(err)}`);
  }
  return undefined;
}

/**
 * NODE_ENV=production where no channel reaches a person: every code would go nowhere (none) or into
 * plaintext storage (the outbox). GATEHOUSE_OUTBOX=true says the outbox is what is meant (a staging
 * deployment), and only warns.
 */
export function deliveryRefusal(config: Config): StartError | undefined {
  if (config.env !== 'production' || config.outboxEnabled) return undefined;
  const readiness = channelReadiness(config);
  if (Object.values(readiness).some((r) => r.delivers)) return undefined;
  const what = Object.entries(readiness).map(([c, r]) => `${c} → ${r.provider}`).join(', ');
  return new StartError(`NODE_ENV=production but no real delivery channel is configured (${what}); configure TWILIO_* or SMTP_URL, or set GATEHOUSE_OUTBOX=true if the development outbox is intended`);
}
