/**
 * One validated configuration object, built once at start from the environment and an optional JSON
 * file (GATEHOUSE_CONFIG; the environment wins). Nothing reads process.env after this.
 * A bad value throws ConfigError naming the variable, and the server does not start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type DatabaseConfig = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  redis: { url: string; prefix: string } | null;
  masterKey: { current: string; previous: string[] } | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  outboxEnabled: boolean;
  shutdownTimeoutMs: number;
  jwt: {
    issuer: string;
    ttlSeconds: number;
    external: { issuer: string; audience: string; publicKeyPem: string } | null;
  };
  /** The Comm100 login flow: how long a preLoginToken lives and how long a lock lasts. */
  login: { preLoginTtlMs: number; lockMs: number };
}

/** Every setting with its default, for the README and `gatehouse --help`. */
export const SETTINGS: ReadonlyArray<[name: string, fallback: string, meaning: string]> = [
  ['PORT', '3000', 'TCP port the server listens on'],
  ['HOST', '0.0.0.0', 'address the server binds'],
  ['GATEHOUSE_DATA_DIR', './data', 'folder of the SQLite file and the master key file'],
  ['DATABASE_URL', 'sqlite:<data dir>/gatehouse.db', 'sqlite:<file> or postgres://user@host:port/db'],
  ['REDIS_URL', '(none)', 'redis://host:port; shared state for many nodes (else kept in the SQL database)'],
  ['GATEHOUSE_REDIS_PREFIX', 'gatehouse:', 'prefix of every Redis key'],
  ['GATEHOUSE_MASTER_KEY', '(key file)', '32-byte key, 64 hex digits or base64; else <data dir>/master.key is created (0600)'],
  ['GATEHOUSE_PREVIOUS_MASTER_KEYS', '(none)', 'comma-separated older keys still readable, for rotation'],
  ['NODE_ENV', 'development', 'development, production or test'],
  ['LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent'],
  ['GATEHOUSE_TRUST_PROXY', 'false', 'true to take the client address from X-Forwarded-For'],
  ['GATEHOUSE_OUTBOX', 'true (false in production)', 'store every message in the development outbox'],
  ['GATEHOUSE_SHUTDOWN_TIMEOUT', '10', 'seconds to finish in-flight requests after SIGTERM'],
  ['GATEHOUSE_JWT_ISSUER', 'gatehouse', 'iss of the JWTs Gatehouse signs'],
  ['GATEHOUSE_JWT_TTL', '3600', 'lifetime in seconds of the JWTs Gatehouse signs'],
  ['GATEHOUSE_EXTERNAL_JWT_ISSUER', '(none)', 'iss of an external issuer whose JWTs are accepted'],
  ['GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY', '(none)', 'its public key: PEM text, or @/path/to/key.pem'],
  ['GATEHOUSE_EXTERNAL_JWT_AUDIENCE', 'gatehouse', 'aud the external JWTs must carry'],
  ['GATEHOUSE_PRELOGIN_TTL', '300', 'seconds a Comm100 preLoginToken lives ("Timeout" after)'],
  ['GATEHOUSE_LOGIN_LOCK', '900', 'seconds an account stays locked after 10 consecutive second-factor failures'],
  ['GATEHOUSE_CONFIG', '(none)', 'path of a JSON file with any of these settings'],
];

type Env = Record<string, string | undefined>;

export function loadConfig(processEnv: Env = process.env, cwd = process.cwd()): Config {
  const env = withConfigFile(processEnv);
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  const nodeEnv = oneOf('NODE_ENV', get('NODE_ENV') ?? 'development', ['development', 'production', 'test'] as const);
  const dataDir = path.resolve(cwd, get('GATEHOUSE_DATA_DIR') ?? './data');
  const redisUrl = get('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');

  const externalIssuer = get('GATEHOUSE_EXTERNAL_JWT_ISSUER');
  const externalKey = get('GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY');
  if (Boolean(externalIssuer) !== Boolean(externalKey)) {
    throw new ConfigError(
      externalIssuer ? 'GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY' : 'GATEHOUSE_EXTERNAL_JWT_ISSUER',
      'an external JWT issuer needs both GATEHOUSE_EXTERNAL_JWT_ISSUER and GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY',
    );
  }

  const outboxSetting = get('GATEHOUSE_OUTBOX');
  return {
    env: nodeEnv,
    host: get('HOST') ?? '0.0.0.0',
    port: integer('PORT', get('PORT') ?? '3000', 0, 65535),
    dataDir,
    database: parseDatabaseUrl(get('DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'gatehouse.db')}`, cwd),
    redis: redisUrl ? { url: redisUrl, prefix: get('GATEHOUSE_REDIS_PREFIX') ?? 'gatehouse:' } : null,
    masterKey: parseMasterKeys(get('GATEHOUSE_MASTER_KEY'), get('GATEHOUSE_PREVIOUS_MASTER_KEYS')),
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    trustProxy: boolean('GATEHOUSE_TRUST_PROXY', get('GATEHOUSE_TRUST_PROXY') ?? 'false'),
    outboxEnabled: outboxSetting === undefined ? nodeEnv !== 'production' : boolean('GATEHOUSE_OUTBOX', outboxSetting),
    shutdownTimeoutMs: integer('GATEHOUSE_SHUTDOWN_TIMEOUT', get('GATEHOUSE_SHUTDOWN_TIMEOUT') ?? '10', 1, 3600) * 1000,
    jwt: {
      issuer: get('GATEHOUSE_JWT_ISSUER') ?? 'gatehouse',
      ttlSeconds: integer('GATEHOUSE_JWT_TTL', get('GATEHOUSE_JWT_TTL') ?? '3600', 30, 86400 * 30),
      external:
        externalIssuer && externalKey
          ? {
              issuer: externalIssuer,
              audience: get('GATEHOUSE_EXTERNAL_JWT_AUDIENCE') ?? 'gatehouse',
              publicKeyPem: readPem('GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY', externalKey, cwd),
            }
          : null,
    },
    login: {
      preLoginTtlMs: integer('GATEHOUSE_PRELOGIN_TTL', get('GATEHOUSE_PRELOGIN_TTL') ?? '300', 1, 3600) * 1000,
      lockMs: integer('GATEHOUSE_LOGIN_LOCK', get('GATEHOUSE_LOGIN_LOCK') ?? '900', 1, 86400) * 1000,
    },
  };
}

function withConfigFile(env: Env): Env {
  const file = env.GATEHOUSE_CONFIG;
  if (!file) return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('GATEHOUSE_CONFIG', `cannot read ${file} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('GATEHOUSE_CONFIG', 'the file must hold a JSON object of settings');
  }
  const known = new Set(SETTINGS.map(([name]) => name));
  const fromFile: Env = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key) && !key.startsWith('TWILIO_') && !key.startsWith('SMTP_')) {
      throw new ConfigError(key, `unknown setting in ${file}`);
    }
    fromFile[key] = String(value);
  }
  return { ...fromFile, ...env };
}

export function parseDatabaseUrl(value: string, cwd = process.cwd()): DatabaseConfig {
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: value };
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/gatehouse.db');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  throw new ConfigError('DATABASE_URL', 'must be sqlite:<file> or postgres://…');
}

function parseMasterKeys(current: string | undefined, previous: string | undefined): Config['masterKey'] {
  if (!current) {
    if (previous) throw new ConfigError('GATEHOUSE_PREVIOUS_MASTER_KEYS', 'needs GATEHOUSE_MASTER_KEY as well');
    return null;
  }
  return {
    current: checkKey('GATEHOUSE_MASTER_KEY', current),
    previous: (previous ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => checkKey('GATEHOUSE_PREVIOUS_MASTER_KEYS', k)),
  };
}

/** A master key is 32 bytes given as 64 hex digits or base64; returned as base64. */
export function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const b = Buffer.from(value, 'base64');
  return b.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(value) ? b : null;
}

function checkKey(variable: string, value: string): string {
  const key = decodeKey(value);
  if (!key) throw new ConfigError(variable, 'must be 32 bytes as 64 hex digits or base64');
  return key.toString('base64');
}

function readPem(variable: string, value: string, cwd: string): string {
  const text = value.startsWith('@') ? readFileOr(variable, path.resolve(cwd, value.slice(1))) : value;
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) throw new ConfigError(variable, 'must be a PEM public key (SPKI)');
  return text;
}

function readFileOr(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(variable, `cannot read ${file}`);
  }
}

function integer(variable: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(variable, `must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(variable, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolean(variable: string, value: string): boolean {
  if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new ConfigError(variable, `must be true or false, got "${value}"`);
}

function oneOf<T extends string>(variable: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(variable, `must be one of ${allowed.join(', ')}, got "${value}"`);
}
