#!/usr/bin/env node
/** The gatehouse command line: serve, migrate, tenants, accounts, admin keys, key rotation. */
import { parseArgs } from 'node:util';
import { ConfigError, SETTINGS, loadConfig } from './config.js';
import type { AccountRole } from './core/callers.js';
import type { Core } from './core/core.js';
import { bootstrapIfEmpty, createAdminKey } from './core/bootstrap.js';
import { GatehouseError } from './core/errors.js';
import { resealAll } from './core/secrets/rotate.js';
import { keyringFromEnv, keyringFromFile } from './core/secrets/keyring.js';
import type { openRuntime } from './runtime.js';
import { migrate, openStorage } from './storage/storage.js';
import { MasterKeyError, createSealer } from './core/secrets/envelope.js';
import { base32Decode } from './core/totp/base32.js';
import { totp } from './core/totp/otp.js';
import { handOverBootstrap } from './first-start.js';
import { warnAboutChannels } from './channels/readiness.js';
import { StartError, databaseRefusal, deliveryRefusal } from './start-refusals.js';


const USAGE = `usage: gatehouse <command> [options]

  serve                                   start the server (migrates first)
  migrate                                 run database migrations
  tenant create --name N [--parent ID|SID] [--email E]
                                          create a tenant; prints {"id","sid","authToken"}
  tenant update --tenant ID|SID --email E set a tenant's contact email ("" clears it)
  tenant list                             list tenants as JSON
  account create --tenant ID|SID --email E --password P [--role agent|superagent|admin|sip] [--username U] [--domain D]
                                          create an account (in a SIP domain the tenant owns); prints it with its "id"
  account misplaced [--delete N | --restore N]
                                          list the accounts found on a SIP domain their tenant does not own
                                          (blocked); --delete removes one, --restore puts one back in its
                                          domain once its tenant owns it (still blocked); prints the rest
  account unlock --id N                   lift an account's login lock
  admin create [--tenant ID|SID]          create an admin account and API key; prints {"apiKey"} (shown once)
  keys rotate                             new master key (key file) and re-seal every secret
  totp --secret BASE32                    print the current code of a TOTP secret (to try the API without a phone)
  audit [--since T] [--until T] [--tenant ID|SID] [--actor N] [--action A] [--object-type T] [--object-id I]
        [--outcome done|refused] [--limit N] [--json]
                                          the admin audit trail, newest first: a table, or JSON lines with --json

settings (environment or GATEHOUSE_CONFIG file):
${SETTINGS.map(([n, d, m]) => `  ${n.padEnd(34)} ${m} (default ${d})`).join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  const key = [command, sub].filter(Boolean).join(' ');
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  running = { key, args: rest };
  const config = loadConfig();
  // A command that meets PostgreSQL missing or unreachable says so in one line (start-refusals.ts).
  try {
    return await run(config, command, sub, rest, key);
  } catch (err) {
    throw databaseRefusal(config.database, err) ?? err;
  }
}

async function run(config: ReturnType<typeof loadConfig>, command: string, sub: string | undefined, rest: string[], key: string): Promise<number> {
  switch (command === 'serve' || command === 'migrate' || command === 'totp' || command === 'audit' ? command : key) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const storage = openStorage(config.database);
      try {
        print({ applied: await migrate(storage.db) });
      } finally {
        await storage.close();
      }
      return 0;
    }
    case 'tenant create': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, parent: { type: 'string' }, email: { type: 'string' } } });
      if (!values.name) return usage('tenant create needs --name');
      return withRuntime(config, async ({ core }) => {
        const { tenant, authToken } = await core.tenants.create(null, { name: values.name!, parent: values.parent, email: values.email });
        print({ id: tenant.id, sid: tenant.sid, authToken });
      });
    }
    case 'tenant update': {
      const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, email: { type: 'string' } } });
      if (!values.tenant || values.email === undefined) return usage('tenant update needs --tenant and --email');
      return withRuntime(config, async ({ core }) => {
        const t = await core.tenants.setEmail(null, values.tenant!, values.email!);
        print({ id: t.id, sid: t.sid, name: t.name, parentId: t.parentId, email: t.email });
      });
    }
    case 'account unlock': {
      const { values } = parseArgs({ args: rest, options: { id: { type: 'string' } } });
      if (!values.id || !/^\d{1,15}$/.test(values.id)) return usage('account unlock needs --id N');
      return withRuntime(config, async ({ core }) => {
        const wasLocked = await core.login.unlockById(Number(values.id));
        const lock = await core.login.lockState(Number(values.id));
        print({ id: Number(values.id), wasLocked, lock: { lockedUntil: lock.lockedUntil === null ? null : new Date(lock.lockedUntil).toISOString(), failures: lock.failures } });
      });
    }
    case 'tenant list':
      return withRuntime(config, async ({ storage }) => {
        const rows = await storage.db.selectFrom('tenants').select(['id', 'sid', 'name', 'parent_id', 'email']).orderBy('id').execute();
        print(rows.map((r) => ({ id: r.id, sid: r.sid, name: r.name, parentId: r.parent_id, email: r.email })));
      });
    case 'account create': {
      const { values } = parseArgs({
        args: rest,
        options: {
          tenant: { type: 'string' },
          email: { type: 'string' },
          password: { type: 'string' },
          role: { type: 'string' },
          username: { type: 'string' },
          phone: { type: 'string' },
          domain: { type: 'string' },
        },
      });
      if (!values.tenant) return usage('account create needs --tenant');
      return withRuntime(config, async ({ core }) => {
        const account = await core.accounts.create(null, {
          tenant: values.tenant!,
          email: values.email,
          password: values.password,
          role: values.role as AccountRole | undefined,
          username: values.username,
          phone: values.phone,
          domain: values.domain,
        });
        print(account);
      });
    }
    case 'account misplaced': {
      const { values } = parseArgs({ args: rest, options: { delete: { type: 'string' }, restore: { type: 'string' } } });
      const target = values.delete ?? values.restore;
      if (target !== undefined && (!/^\d{1,10}$/.test(target) || (values.delete && values.restore))) return usage('account misplaced takes one of --delete N or --restore N');
      return withRuntime(config, async ({ core }) => {
        if (target !== undefined) await core.accounts.resolveMisplaced(Number(target), values.delete ? 'delete' : 'restore');
        print(await core.accounts.misplaced());
      });
    }
    case 'admin create': {
      const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' } } });
      return withRuntime(config, async ({ core }) => {
        const { apiKey } = await createAdminKey(core, values.tenant);
        print({ apiKey });
      });
    }
    case 'totp': {
      const { values } = parseArgs({ args: [sub, ...rest].filter((a): a is string => a !== undefined), options: { secret: { type: 'string' } } });
      if (!values.secret) return usage('totp needs --secret BASE32');
      const secret = base32Decode(values.secret);
      if (!secret) return usage('totp --secret must be base32');
      process.stdout.write(`${totp(secret, Date.now())}\n`);
      return 0;
    }
    case 'audit':
      return audit(config, [sub, ...rest].filter((a): a is string => a !== undefined));
    case 'keys rotate': {
      const storage = openStorage(config.database);
      try {
        await migrate(storage.db);
        const keyring = config.masterKey ? keyringFromEnv(config.masterKey.current, config.masterKey.previous) : keyringFromFile(config.dataDir);
        const kid = keyring.source === 'file' ? keyring.addKey() : keyring.currentKid();
        const resealed = await resealAll(storage.db, createSealer(keyring));
        print({ kid, resealed });
      } finally {
        await storage.close();
      }
      return 0;
    }
    default:
      return usage(`unknown command "${key}"`);
  }
}

// The server and the runtime are loaded only by the commands that use them, so that a light command
// (totp, help) starts in a fraction of the time.
const loadRuntime = async () => (await import('./runtime.js')).openRuntime;

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const refused = deliveryRefusal(config);
  if (refused) throw refused;
  const { buildServer } = await import('./server.js');
  const runtime = await (await loadRuntime())(config);
  const app = await buildServer(runtime);
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close().catch(() => {});
    await runtime.close().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartError(`port ${config.port} on ${config.host} is already in use (PORT, HOST)`);
    throw err;
  }
  // Only once the server listens: credentials made by a start that then fails would be lost.
  const bootstrap = await bootstrapIfEmpty(runtime.core);
  if (bootstrap) handOverBootstrap(bootstrap, config.dataDir, process.stdout, process.stderr);
  warnAboutChannels(config, app.log);
  await reportMisplacedAccounts(runtime.core, app.log);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    app
      .close()
      .then(() => app.log.info('http server closed; closing storage'))
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  app.log.info({ address, database: config.database.dialect, sharedState: runtime.state.backend }, 'gatehouse listening');
  return -1; // keep running
}

/** One line at every start while accounts sit, blocked, on a SIP domain their tenant does not own (0013_domain_owner). */
async function reportMisplacedAccounts(core: Core, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const misplaced = await core.accounts.misplaced();
  if (misplaced.length === 0) return;
  log.warn(
    { misplacedAccounts: misplaced.map((a) => ({ id: a.id, tenant: a.tenantSid, domain: a.domain })) },
    `${misplaced.length} account(s) named a SIP domain their tenant does not own: blocked and taken out of the domain until an admin resolves them (gatehouse account misplaced)`,
  );
}

async function withRuntime(config: ReturnType<typeof loadConfig>, fn: (r: Awaited<ReturnType<typeof openRuntime>>) => Promise<void>) {
  const runtime = await (await loadRuntime())(config);
  try {
    await recordedIfChange(runtime.core, () => fn(runtime));
  } finally {
    await runtime.close();
  }
  return 0;
}

/** The command being run, for the admin audit trail: set once by main. */
let running: { key: string; args: string[] } = { key: '', args: [] };

/**
 * A command that changes something is recorded in the admin audit trail like a change over HTTP
 * (core/changes recordChange): done, or refused with its error code. Only the allow-listed options'
 * values are kept (changeDetailOf), never a password.
 */
async function recordedIfChange(core: Core, fn: () => Promise<void>): Promise<void> {
  const key = running.key;
  const { changesSomething, cliChange } = await import('./cli-changes.js');
  if (!changesSomething(key, running.args)) return fn();
  try {
    await fn();
  } catch (err) {
    if (err instanceof GatehouseError) await core.changeLog.recordChange(cliChange(key, running.args, err.code));
    throw err;
  }
  await core.changeLog.recordChange(cliChange(key, running.args, null));
}

async function audit(config: ReturnType<typeof loadConfig>, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string' }, until: { type: 'string' }, tenant: { type: 'string' }, actor: { type: 'string' }, action: { type: 'string' },
      'object-type': { type: 'string' }, 'object-id': { type: 'string' }, outcome: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  const { auditQuery, auditTable } = await import('./cli-changes.js');
  const query = auditQuery(values);
  if (typeof query === 'string') return usage(query);
  return withRuntime(config, async ({ core }) => {
    const rows = [];
    for await (const change of core.changeLog.exportAll(null, query.filters)) {
      rows.push(change);
      if (rows.length >= query.limit) break;
    }
    process.stdout.write(values.json ? rows.map((c) => `${JSON.stringify({ ...c, at: new Date(c.at).toISOString() })}\n`).join('') : auditTable(rows));
  });
}

function print(value: unknown) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function usage(message: string): number {
  process.stderr.write(`gatehouse: ${message}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    if (err instanceof ConfigError) process.stderr.write(`gatehouse: configuration error: ${err.message}\n`);
    else if (err instanceof GatehouseError || err instanceof StartError || err instanceof MasterKeyError) process.stderr.write(`gatehouse: ${err.message}\n`);
    else if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') process.stderr.write(`gatehouse: ${(err as Error).message}\n`);
    else process.stderr.write(`gatehouse: ${(err as Error).stack ?? err}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  },
);
