/**
 * Prepared statements for the hot paths (authenticate, send a code, verify a code).
 *
 * Kysely builds, compiles and queues a query on every call: on SQLite that is 15–25 µs, several times
 * the statement itself (3 µs). The few statements a request on a hot path runs are written once here
 * as SQL text with `?` placeholders and prepared once per process (on PostgreSQL, as named prepared
 * statements, which also skips parsing and planning). Everything else uses Kysely.
 *
 * SQLite group commit: committing one write costs about 24 µs here (the WAL append), ten times the
 * write, and each commit writes every page it touched again. So writes made during one turn of the
 * event loop share one transaction, committed when the turn ends (setImmediate). A write's result is
 * there at once (SQLite runs it on the spot); what waits is the answer: `durable()` is the commit of
 * everything written so far, and the server sends no response before it (server.ts), so no caller is
 * told of a write that is not committed. A Kysely statement that arrives while a group is open
 * commits the group first, and a hot statement that arrives while a Kysely transaction is open waits
 * for it by running through Kysely, so the two never share a transaction.
 */
import type SqliteDatabase from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Db } from './database.js';

export type Param = string | number | null;

export interface Statement<Row> {
  /** The first row (of a select, or of a write with RETURNING). */
  get(...params: Param[]): Promise<Row | undefined>;
  all(...params: Param[]): Promise<Row[]>;
  /** The number of rows changed. */
  run(...params: Param[]): Promise<number>;
  /**
   * An INSERT of one row into a table keyed by an integer `id`: that id. On SQLite it is the
   * connection's last rowid, not a RETURNING clause, which SQLite runs as a statement of its own
   * (2–3 µs an insert, bench/README.md); on PostgreSQL the text gains `returning id`.
   */
  insert(...params: Param[]): Promise<number>;
}

export interface PrepareOptions {
  /**
   * PostgreSQL: plan every call for its values instead of reusing one generic plan. A generic plan
   * made while the tables were nearly empty can pick the wrong index and keep it as they grow
   * (test/core/verifications-plans.test.ts shows which statements need this). No effect on SQLite.
   */
  planEachCall?: boolean;
}

/** A roll-up counter written by the hot path (statements.counter). */
export interface Counter {
  /** Adds n (negative: takes) to the counter row the params name, in the current write's transaction. */
  add(n: number, ...params: Param[]): Promise<void>;
}

export interface Statements {
  prepare<Row = Record<string, unknown>>(text: string, options?: PrepareOptions): Statement<Row>;
  /**
   * A counter kept by an upsert whose last parameter is the amount to add. On SQLite the adds of one
   * write group are summed per counter row and written once, just before the group commits (so in the
   * same transaction as the writes they count): a group of 40 sends of one tenant and day writes its
   * counter once, not 40 times. On PostgreSQL each add is its own statement.
   */
  counter(text: string): Counter;
  /** The commit of every write made so far, or null when there is nothing left to commit. */
  durable(): Promise<void> | null;
  /** Commits an open write group now (SQLite); nothing to do on PostgreSQL. */
  flush(): void;
}

interface Group {
  committed: Promise<void>;
  settle: (err?: unknown) => void;
}

/**
 * `prepare` is the connection's own prepare. The caller runs `flush` in front of every statement
 * Kysely prepares, so that Kysely never runs inside a group.
 */
export function sqliteStatements(database: SqliteDatabase.Database, prepare: (text: string) => SqliteDatabase.Statement, db: Db): Statements {
  const begin = prepare('begin');
  const commit = prepare('commit');
  let group: Group | null = null;
  /** The counters with sums waiting in the open group: each writes its sums when the group commits. */
  const tallied = new Set<{ write(): void; discard(): void }>();

  function flush(): void {
    const open = group;
    if (!open) return;
    group = null;
    try {
      for (const sums of tallied) sums.write();
      tallied.clear();
      commit.run();
    } catch (err) {
      // The group is rolled back: sums a failed write left unwritten belong to it, not to the next group.
      for (const sums of tallied) sums.discard();
      tallied.clear();
      if (database.inTransaction) database.exec('rollback');
      open.settle(err);
      return;
    }
    open.settle();
  }

  /** Runs a write inside the open group, opening one if needed. */
  function write<T>(execute: () => T): T {
    if (!group) {
      begin.run();
      let settle!: Group['settle'];
      const committed = new Promise<void>((resolve, reject) => {
        settle = (err) => (err === undefined ? resolve() : reject(err));
      });
      // Whoever waits for durable() hears of a failed commit; nobody else must crash on it.
      committed.catch(() => {});
      group = { committed, settle };
      setImmediate(flush);
    }
    // A failed statement is undone alone by SQLite; the rest of the group goes on.
    return execute();
  }

  function statement<Row>(text: string): Statement<Row> {
    let compiled: SqliteDatabase.Statement | undefined;
    const ready = () => (compiled ??= prepare(text));
    /** A Kysely transaction holds the connection: wait for it through Kysely's queue. */
    const foreign = () => database.inTransaction && !group;
    const viaKysely = async (params: Param[]) => db.executeQuery<Row>(CompiledQuery.raw(text, params));
    const run = <T>(params: Param[], execute: (s: SqliteDatabase.Statement) => T, fromKysely: (r: Awaited<ReturnType<typeof viaKysely>>) => T): Promise<T> => {
      if (foreign()) return viaKysely(params).then(fromKysely);
      const s = ready();
      try {
        return Promise.resolve(s.readonly ? execute(s) : write(() => execute(s)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return {
      get: (...params) => run(params, (s) => (s.reader ? (s.get(...params) as Row | undefined) : (s.run(...params), undefined)), (r) => r.rows[0]),
      all: (...params) => run(params, (s) => s.all(...params) as Row[], (r) => r.rows),
      run: (...params) => run(params, (s) => s.run(...params).changes, (r) => Number(r.numAffectedRows ?? 0)),
      insert: (...params) => run(params, (s) => Number(s.run(...params).lastInsertRowid), (r) => Number(r.insertId)),
    };
  }

  function counter(text: string): Counter {
    let compiled: SqliteDatabase.Statement | undefined;
    let sums = new Map<string, { params: Param[]; n: number }>();
    const waiting = {
      write() {
        const s = (compiled ??= prepare(text));
        const pending = sums;
        sums = new Map();
        for (const { params, n } of pending.values()) if (n !== 0) s.run(...params, n);
      },
      discard() {
        sums = new Map();
      },
    };
    return {
      add(n, ...params) {
        // A Kysely transaction holds the connection: the add is a statement of its own, through Kysely.
        if (database.inTransaction && !group) return db.executeQuery(CompiledQuery.raw(text, [...params, n])).then(() => undefined);
        write(() => {
          const key = params.join('\u0000');
          const sum = sums.get(key);
          if (sum) sum.n += n;
          else sums.set(key, { params, n });
          tallied.add(waiting);
        });
        return DONE;
      },
    };
  }

  return { prepare: statement, counter, durable: () => group?.committed ?? null, flush };
}

const DONE = Promise.resolve();

export function postgresStatements(pool: pg.Pool): Statements {
  let count = 0;
  function statement<Row>(text: string, options: PrepareOptions = {}): Statement<Row> {
    let n = 0;
    // An unnamed statement is parsed and planned for each call's values; a named one is parsed once
    // and, after five calls, planned once for all values.
    const query = { ...(!options.planEachCall && { name: `gh_${++count}` }), text: text.replace(/\?/g, () => `$${++n}`) };
    const execute = (params: Param[]) => pool.query({ ...query, values: params });
    const returningId = { ...(query.name && { name: `${query.name}_id` }), text: `${query.text} returning id` };
    return {
      get: async (...params) => (await execute(params)).rows[0] as Row | undefined,
      all: async (...params) => (await execute(params)).rows as Row[],
      run: async (...params) => (await execute(params)).rowCount ?? 0,
      insert: async (...params) => Number((await pool.query<{ id: number | string }>({ ...returningId, values: params })).rows[0]!.id),
    };
  }
  const counter = (text: string): Counter => {
    const upsert = statement(text);
    return { add: async (n, ...params) => void (await upsert.run(...params, n)) };
  };
  return { prepare: statement, counter, durable: () => null, flush: () => {} };
}
