/**
 * Which databases a test runs on. SQLite always; PostgreSQL and Redis when they answer — and under
 * GATEHOUSE_REQUIRE_SERVICES=1 (CI) always, so that a missing service fails instead of skipping.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const REQUIRED = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

async function reachable(check: () => Promise<void>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

const pgUp = reachable(async () => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
});
const redisUp = reachable(async () => {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } finally {
    r.disconnect();
  }
});

/** A skip reason for node:test's `skip` option, or false to run. */
export async function skipUnless(needs: { postgres?: boolean; redis?: boolean }): Promise<string | false> {
  if (REQUIRED) return false;
  if (needs.postgres && !(await pgUp)) return 'PostgreSQL is not reachable (set GATEHOUSE_REQUIRE_SERVICES=1 to fail instead)';
  if (needs.redis && !(await redisUp)) return 'Redis is not reachable (set GATEHOUSE_REQUIRE_SERVICES=1 to fail instead)';
  return false;
}

export const skipDialect = (dialect: Dialect) => skipUnless({ postgres: dialect === 'postgres' });

export interface TestDatabase {
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of the dialect: a file in a temp folder, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  if (dialect === 'sqlite') {
    return {
      url: `sqlite:${path.join(dataDir, 'gatehouse.db')}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Redis key prefix no other test uses. */
/** The rows of one query on a PostgreSQL connection of its own: a test reading what servers under test wrote. */
export async function queryPostgres<Row = Record<string, any>>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

export const redisPrefix = () => `gh-test-${randomBytes(6).toString('hex')}:`;

/** Settings for several nodes sharing one PostgreSQL database and one Redis: one master key, one key prefix. */
export function sharedNodesEnv(database: TestDatabase): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    GATEHOUSE_DATA_DIR: database.dataDir,
    REDIS_URL,
    GATEHOUSE_REDIS_PREFIX: redisPrefix(),
    GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64'),
  };
}
