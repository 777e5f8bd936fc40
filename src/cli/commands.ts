/**
 * The command line as one table: each command is an entry naming its options (which are required,
 * what value each takes) and what it runs. The usage text, the parsing and the refusals of a missing
 * or malformed option (exit 2, one line) come from the table, so a new command is one entry.
 *
 * Commands act as the operator (no caller: core's "no caller means the operator"), on the database
 * of the configuration, beside a running server or not.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { createAdminKey } from '../core/bootstrap.js';
import type { AccountRole } from '../core/callers.js';
import { ACCOUNT_ROLES } from '../core/callers.js';
import { notFound } from '../core/errors.js';
import { resealAll } from '../core/secrets/rotate.js';
import { keyringFromEnv, keyringFromFile } from '../core/secrets/keyring.js';
import { createSealer } from '../core/secrets/envelope.js';
import { base32Decode } from '../core/totp/base32.js';
import { totp } from '../core/totp/otp.js';
import type { Runtime } from '../runtime.js';
import { migrate, openStorage } from '../storage/storage.js';
import { backup } from './backup.js';
import { type Output, output } from './output.js';
import { ACCOUNT_COLUMNS, accountView, apiKeyView, authTokenView, iso, tenantView } from './views.js';

export interface OptionSpec {
  /** What the value is, for the usage line ("N", "ID|SID"); absent: a flag without a value. */
  arg?: string;
  required?: boolean;
  /** Checks a value; answers what is wrong with it, or null. */
  check?: (value: string) => string | null;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Context {
  values: Values;
  config: Config;
  out: Output;
  /** Opens the runtime (migrated storage, core), runs fn, closes it. */
  withRuntime(fn: (runtime: Runtime) => Promise<void>): Promise<number>;
}

export interface Command {
  /** "account list": the words that name it. */
  name: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Groups of options of which exactly one must be given ("--id N or --account N"). */
  oneOf?: string[][];
  /** At least one of these must be given (a change). */
  anyOf?: string[];
  /** A light command (no configuration, no database): totp. */
  plain?: boolean;
  run(ctx: Context): Promise<number>;
}

/** A usage refusal: exit 2 with one line. */
export class UsageError extends Error {}

const MAX_ID = 2 ** 31 - 1;
const wholeNumber = (v: string) => (/^\d{1,10}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_ID ? null : 'must be a whole number from 1');
const tenantRef = (v: string) => (/^(\d{1,10}|AC[0-9a-f]{32})$/.test(v) ? null : 'must be a tenant id or SID (AC + 32 hex digits)');
const oneOfWords = (words: readonly string[]) => (v: string) => (words.includes(v) ? null : `must be one of ${words.join(', ')}`);
const bool = oneOfWords(['true', 'false']);
const num = (v: string | boolean | undefined) => Number(v);
const str = (v: string | boolean | undefined) => v as string;

const ID: OptionSpec = { arg: 'N', required: true, check: wholeNumber };
const TENANT: OptionSpec = { arg: 'ID|SID', check: tenantRef };

/** The version of the package this runs from (package.json sits one folder above src/ and dist/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Commands that add to the table (the admin audit trail's `audit`) are appended by their modules. */
export const COMMANDS: Command[] = [
  {
    name: 'serve',
    summary: 'start the server (migrates first)',
    run: async ({ config }) => (await import('./serve.js')).serve(config),
  },
  {
    name: 'migrate',
    summary: 'run database migrations; prints what it applied',
    async run({ config, out }) {
      const storage = openStorage(config.database);
      try {
        out.print({ applied: await migrate(storage.db) });
      } finally {
        await storage.close();
      }
      return 0;
    },
  },
  {
    name: 'tenant create',
    summary: 'create a tenant; prints its id, sid and first auth token (shown once)',
    options: { name: { arg: 'N', required: true }, parent: TENANT, email: { arg: 'E' } },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const { tenant, authToken } = await core.tenants.create(null, { name: str(values.name), parent: values.parent as string | undefined, email: values.email as string | undefined });
        out.print({ id: tenant.id, sid: tenant.sid, authToken });
      }),
  },
  {
    name: 'tenant update',
    summary: 'set a tenant\'s contact email ("" clears it)',
    options: { tenant: { ...TENANT, required: true }, email: { arg: 'E', required: true } },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const t = await core.tenants.setEmail(null, str(values.tenant), str(values.email));
        out.print({ id: t.id, sid: t.sid, name: t.name, parentId: t.parentId, email: t.email });
      }),
  },
  {
    name: 'tenant list',
    summary: 'list every tenant',
    run: ({ out, withRuntime }) => withRuntime(async ({ core }) => out.print((await core.tenants.all()).map(tenantView))),
  },
  {
    name: 'tenant delete',
    summary: 'delete a tenant that has no accounts and no sub-tenants',
    options: { tenant: { ...TENANT, required: true } },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const t = await core.lifecycle.deleteTenant(null, str(values.tenant));
        out.print({ id: t.id, sid: t.sid, name: t.name, deleted: true });
      }),
  },
  {
    name: 'account list',
    summary: 'list accounts, every tenant\'s or one\'s',
    options: { tenant: TENANT },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        let tenantId: number | undefined;
        if (values.tenant !== undefined) {
          const tenant = await core.tenants.find(str(values.tenant));
          if (!tenant) throw notFound('tenant');
          tenantId = tenant.id;
        }
        out.print((await core.accounts.listAll(tenantId)).map(accountView), ACCOUNT_COLUMNS);
      }),
  },
  {
    name: 'account get',
    summary: 'one account, with its login lock',
    options: { id: ID },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const account = await core.accounts.find(num(values.id));
        if (!account) throw notFound('account');
        const lock = await core.login.lockState(account.id);
        out.print({ ...accountView(account), lockedUntil: iso(lock.lockedUntil), failures: lock.failures });
      }),
  },
  {
    name: 'account create',
    summary: 'create an account (in a SIP domain the tenant owns: --domain and --username); prints it',
    options: {
      tenant: { ...TENANT, required: true },
      email: { arg: 'E' },
      password: { arg: 'P', required: true },
      role: { arg: ACCOUNT_ROLES.join('|'), check: oneOfWords(ACCOUNT_ROLES) },
      username: { arg: 'U' },
      domain: { arg: 'D' },
      phone: { arg: '+E164' },
    },
    anyOf: ['email', 'username'],
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const account = await core.accounts.create(null, {
          tenant: str(values.tenant),
          email: values.email as string | undefined,
          password: str(values.password),
          role: values.role as AccountRole | undefined,
          username: values.username as string | undefined,
          phone: values.phone as string | undefined,
          domain: values.domain as string | undefined,
        });
        out.print(accountView(account));
      }),
  },
  {
    name: 'account update',
    summary: 'block, unblock, activate or rename an account',
    options: { id: ID, blocked: { arg: 'true|false', check: bool }, activated: { arg: 'true|false', check: bool }, 'display-name': { arg: 'NAME' }, phone: { arg: '+E164' } },
    anyOf: ['blocked', 'activated', 'display-name', 'phone'],
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const account = await core.accounts.update(null, num(values.id), {
          ...(values.blocked !== undefined && { blocked: values.blocked === 'true' }),
          ...(values.activated !== undefined && { activated: values.activated === 'true' }),
          ...(values['display-name'] !== undefined && { displayName: str(values['display-name']) || null }),
          ...(values.phone !== undefined && { phone: str(values.phone) || null }),
        });
        out.print(accountView(account));
      }),
  },
  {
    name: 'account delete',
    summary: 'delete an account (a SIP username is never given again in its domain)',
    options: { id: ID },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const account = await core.lifecycle.deleteAccount(null, num(values.id));
        out.print({ id: account.id, email: account.email, username: account.username, deleted: true });
      }),
  },
  {
    name: 'account reset-password',
    summary: 'set a new password; the account\'s sessions, JWTs and trusted devices end',
    options: { id: ID, password: { arg: 'P', required: true } },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const account = await core.lifecycle.resetPassword(null, num(values.id), str(values.password));
        out.print({ id: account.id, email: account.email, passwordReset: true, updatedAt: iso(account.updatedAt) });
      }),
  },
  {
    name: 'account unlock',
    summary: 'lift an account\'s login lock',
    options: { id: ID },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const id = num(values.id);
        const wasLocked = await core.login.unlockById(id);
        const lock = await core.login.lockState(id);
        out.print({ id, wasLocked, lock: { lockedUntil: iso(lock.lockedUntil), failures: lock.failures } });
      }),
  },
  {
    name: 'account misplaced',
    summary: 'list the accounts found on a SIP domain their tenant does not own (blocked); --delete removes one, --restore puts one back once its tenant owns the domain',
    options: { delete: { arg: 'N', check: wholeNumber }, restore: { arg: 'N', check: wholeNumber } },
    async run({ values, out, withRuntime }) {
      if (values.delete !== undefined && values.restore !== undefined) throw new UsageError('account misplaced takes one of --delete N or --restore N');
      const target = values.delete ?? values.restore;
      return withRuntime(async ({ core }) => {
        if (target !== undefined) await core.accounts.resolveMisplaced(num(target), values.delete !== undefined ? 'delete' : 'restore');
        out.print((await core.accounts.misplaced()) as unknown as Array<Record<string, unknown>>);
      });
    },
  },
  {
    name: 'apikey list',
    summary: 'list API keys without their secrets (prefix, owner, created, expires, last used, by whom)',
    options: { tenant: TENANT, account: { arg: 'N', check: wholeNumber } },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const keys = await core.inventory.listApiKeys(null, { tenant: values.tenant as string | undefined, ...(values.account !== undefined && { accountId: num(values.account) }) });
        out.print(keys.map(apiKeyView), ['id', 'prefix', 'name', 'owner', 'tenantId', 'createdAt', 'expiresAt', 'lastUsedAt', 'createdBy']);
      }),
  },
  {
    name: 'apikey revoke',
    summary: 'revoke one API key (--id) or every key of an account (--account)',
    options: { id: { arg: 'N', check: wholeNumber }, account: { arg: 'N', check: wholeNumber } },
    oneOf: [['id', 'account']],
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        if (values.id !== undefined) {
          await core.inventory.revokeApiKey(null, num(values.id));
          out.print({ revoked: 1 });
        } else out.print({ revoked: await core.inventory.revokeApiKeysOf(null, num(values.account)) });
      }),
  },
  {
    name: 'admin create',
    summary: 'create an admin account and its API key; prints the key (shown once)',
    options: { tenant: TENANT },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const { apiKey } = await createAdminKey(core, values.tenant as string | undefined);
        out.print({ apiKey });
      }),
  },
  {
    name: 'token list',
    summary: 'list tenants\' auth tokens without their secrets (prefix, tenant, created, last used, by whom)',
    options: { tenant: TENANT },
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        const tokens = await core.inventory.listAuthTokens(null, { tenant: values.tenant as string | undefined });
        out.print(tokens.map(authTokenView), ['id', 'prefix', 'owner', 'tenantId', 'createdAt', 'lastUsedAt', 'createdBy']);
      }),
  },
  {
    name: 'token revoke',
    summary: 'revoke one auth token (--id) or every token of a tenant (--tenant)',
    options: { id: { arg: 'N', check: wholeNumber }, tenant: TENANT },
    oneOf: [['id', 'tenant']],
    run: ({ values, out, withRuntime }) =>
      withRuntime(async ({ core }) => {
        if (values.id !== undefined) {
          await core.inventory.revokeAuthToken(null, num(values.id));
          out.print({ revoked: 1 });
        } else out.print({ revoked: await core.inventory.revokeAuthTokensOf(null, str(values.tenant)) });
      }),
  },
  {
    name: 'backup',
    summary: 'an online copy of the SQLite database into a new file (for PostgreSQL: prints the pg_dump to run)',
    options: { to: { arg: 'FILE', required: true } },
    run: async ({ values, config, out }) => {
      out.print(await backup(config, str(values.to)));
      return 0;
    },
  },
  {
    name: 'keys rotate',
    summary: 'new master key (key file) and re-seal every secret',
    async run({ config, out }) {
      const storage = openStorage(config.database);
      try {
        await migrate(storage.db);
        const keyring = config.masterKey ? keyringFromEnv(config.masterKey.current, config.masterKey.previous) : keyringFromFile(config.dataDir);
        const kid = keyring.source === 'file' ? keyring.addKey() : keyring.currentKid();
        const resealed = await resealAll(storage.db, createSealer(keyring));
        out.print({ kid, resealed });
      } finally {
        await storage.close();
      }
      return 0;
    },
  },
  {
    name: 'totp',
    summary: 'print the current code of a TOTP secret (to try the API without a phone)',
    options: { secret: { arg: 'BASE32', required: true } },
    plain: true,
    async run({ values }) {
      const secret = base32Decode(str(values.secret));
      if (!secret) throw new UsageError('totp --secret must be base32');
      process.stdout.write(`${totp(secret, Date.now())}\n`);
      return 0;
    },
  },
  {
    name: 'audit',
    summary: 'the admin audit trail, newest first: a table, or JSON lines with --json',
    options: {
      since: { arg: 'T' }, until: { arg: 'T' }, tenant: TENANT, actor: { arg: 'N' }, action: { arg: 'A' },
      'object-type': { arg: 'T' }, 'object-id': { arg: 'I' }, outcome: { arg: 'done|refused' }, limit: { arg: 'N' },
    },
    async run({ values, withRuntime }) {
      const { auditQuery, auditTable } = await import('../cli-changes.js');
      const query = auditQuery(values as Record<string, string | undefined>);
      if (typeof query === 'string') throw new UsageError(query);
      return withRuntime(async ({ core }) => {
        const rows = [];
        for await (const change of core.changeLog.exportAll(null, query.filters)) {
          rows.push(change);
          if (rows.length >= query.limit) break;
        }
        process.stdout.write(values.json ? rows.map((c) => `${JSON.stringify({ ...c, at: new Date(c.at).toISOString() })}\n`).join('') : auditTable(rows));
      });
    },
  },
];

/** The usage line of a command: its name, required options, then optional ones in brackets. */
export function usageLine(c: Command): string {
  const opt = (name: string, spec: OptionSpec) => `--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
  const entries = Object.entries(c.options ?? {});
  const inGroups = new Set([...(c.oneOf?.flat() ?? [])]);
  const parts = [
    ...entries.filter(([n, s]) => s.required).map(([n, s]) => opt(n, s)),
    ...(c.oneOf ?? []).map((group) => `(${group.map((n) => opt(n, c.options![n]!)).join(' | ')})`),
    ...entries.filter(([n, s]) => !s.required && !inGroups.has(n)).map(([n, s]) => `[${opt(n, s)}]`),
  ];
  return [c.name, ...parts].join(' ');
}

/** Finds the command named by the first words of argv; the rest are its options. */
export function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command && argv.slice(0, words).every((w) => !w.startsWith('-'))) return { command, rest: argv.slice(words) };
  }
  return null;
}

/** Parses a command's options from the table; a missing or malformed one is a UsageError (one line). */
export function parseOptions(command: Command, rest: string[]): { values: Values; json: boolean } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { json: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(command.options ?? {})) options[name] = { type: spec.arg ? 'string' : 'boolean' };
  let values: Values;
  try {
    ({ values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // node's messages run over several lines; the first says what is wrong.
    throw new UsageError(`${command.name}: ${(err as Error).message.split('\n')[0]}`);
  }
  const given = (name: string) => values[name] !== undefined;
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    if (spec.required && !given(name)) throw new UsageError(`${command.name} needs --${name}${spec.arg ? ` ${spec.arg}` : ''}`);
    const value = values[name];
    if (typeof value === 'string' && spec.check) {
      const wrong = spec.check(value);
      if (wrong) throw new UsageError(`${command.name}: --${name} ${wrong}`);
    }
  }
  for (const group of command.oneOf ?? []) {
    const present = group.filter(given);
    if (present.length !== 1) throw new UsageError(`${command.name} needs one of ${group.map((n) => `--${n} ${command.options![n]!.arg ?? ''}`.trim()).join(' or ')}`);
  }
  if (command.anyOf && !command.anyOf.some(given)) throw new UsageError(`${command.name} needs ${command.anyOf.map((n) => `--${n}`).join(' or ')}`);
  return { values, json: values.json === true };
}

export { output };
