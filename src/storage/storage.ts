/** Opens the database named by the configuration, runs migrations, and closes it. */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { type Dialect, Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { Database, Db } from './database.js';
import { migrationProvider } from './migrations/index.js';
import { type Changes, countingChanges } from './changes.js';
import { startCheckpoints } from './checkpoints.js';
import { openSqlite } from './sqlite.js';
import { tracedDialect, tracedStatements } from './traced-storage.js';
import { activeTracing } from '../observability/tracing.js';
import { type Statements, postgresStatements, sqliteStatements } from './statements.js';

/** The PostgreSQL driver, loaded only by a deployment that uses it (an SQLite one keeps its memory). */
let pgModule: typeof pg | undefined;
function loadPg(): typeof pg {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof pg;
    // int8 (bigint, count(*)) arrives as a string by default; our values are epoch milliseconds and
    // counts, well inside Number's exact range.
    pgModule.types.setTypeParser(20, (v) => Number(v));
  }
  return pgModule;
}

export interface Storage {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** Statements prepared once, for the hot paths (see statements.ts). */
  statements: Statements;
  /** This process's writes through db, for caches of configuration (changes.ts). */
  changes: Changes;
  /** One cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function openStorage(config: DatabaseConfig, options: { poolSize?: number } = {}): Storage {
  if (config.dialect === 'sqlite') {
    if (config.file !== ':memory:') {
      // Owner-only: the folder and the database file (SQLite gives its -wal and -shm files the same mode).
      mkdirSync(path.dirname(config.file), { recursive: true, mode: 0o700 });
      closeSync(openSync(config.file, 'a', 0o600));
    }
    const database = openSqlite(config.file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Another process (the CLI beside a running server) may hold the write lock briefly.
    database.pragma('busy_timeout = 5000');
    dropStat4Samples(database);
    const prepare = database.prepare.bind(database);
    const { dialect, changes } = countingChanges(traceable(new SqliteDialect({ database }), 'sqlite'));
    const db = new Kysely<Database>({ dialect });
    const statements = sqliteStatements(database, prepare, db);
    cacheStatements(database, prepare, statements.flush);
    // WAL checkpoints off the request path (checkpoints.ts): none inside a commit, their bulk on a worker.
    database.pragma('wal_autocheckpoint = 0');
    const checkpoints = config.file === ':memory:' ? null : startCheckpoints(config.file, database);
    const storage = storageOf(db, 'sqlite', traceableStatements(statements, 'sqlite'), changes);
    return {
      ...storage,
      close: async () => {
        await checkpoints?.stop();
        return storage.close();
      },
    };
  }
  const pool = new (loadPg().Pool)({
    connectionString: config.url,
    max: options.poolSize ?? 20,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const { dialect, changes } = countingChanges(traceable(new PostgresDialect({ pool }), 'postgresql'));
  return storageOf(new Kysely<Database>({ dialect }), 'postgres', traceableStatements(postgresStatements(pool), 'postgresql'), changes);
}

/**
 * An ANALYZE (an operator's, or a tool's) writes STAT4 samples besides sqlite_stat1 in this build of
 * SQLite. With samples, SQLite recompiles a prepared statement at its next run whenever a value bound
 * against an indexed column changed, since that value might change the plan: every send and verify
 * compiled its statements anew, 7–9 µs each, which cost a send about 30 µs at 5 million codes
 * (bench/README.md, "Growth"). Gatehouse's hot statements are prepared once and their plans do not
 * depend on the value, so the samples are dropped when the database is opened and the statistics
 * reloaded; sqlite_stat1's row counts, which the reports' plans use, stay.
 */
function dropStat4Samples(database: SqliteDatabase.Database): void {
  if (!database.prepare("select 1 from sqlite_master where type = 'table' and name = 'sqlite_stat4'").get()) return;
  // "analyze sqlite_schema" analyzes nothing: it reloads the statistics the connection plans with.
  database.exec('delete from sqlite_stat4; analyze sqlite_schema');
}

/** With traces on, every query makes a span (traced-storage.ts); otherwise the storage is untouched. */
const traceable = (dialect: Dialect, system: 'sqlite' | 'postgresql') => (activeTracing() ? tracedDialect(dialect, system) : dialect);
const traceableStatements = (statements: Statements, system: 'sqlite' | 'postgresql') => (activeTracing() ? tracedStatements(statements, system) : statements);

/**
 * Kysely prepares every query afresh, and compiling SQL was an eighth of a send's CPU time. The same
 * few hundred query texts recur, so each prepared statement is kept and reused (a statement runs to
 * completion synchronously before the next one starts, so sharing one is safe). Every Kysely
 * statement passes here, which is where an open group commit is committed first. The cache is never
 * emptied: a statement it dropped would be left to the garbage collector (see sqlite.ts).
 */
function cacheStatements(database: SqliteDatabase.Database, prepare: (source: string) => SqliteDatabase.Statement, beforeEach: () => void): void {
  const cache = new Map<string, SqliteDatabase.Statement>();
  database.prepare = ((source: string) => {
    beforeEach();
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof database.prepare;
}

function storageOf(db: Db, dialect: Storage['dialect'], statements: Statements, changes: Changes): Storage {
  return {
    db,
    dialect,
    statements,
    changes,
    ping: async () => void (await sql`select 1`.execute(db)),
    close: () => {
      statements.flush();
      return db.destroy();
    },
  };
}

export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    // Numbers were handed out to work that landed side by side (0009 before 0005–0008): each migration
    // touches its own tables or columns, so one that arrives with a lower number may run after a higher one.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
