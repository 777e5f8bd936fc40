/**
 * A count of this process's writes through Kysely, for caches of configuration (credentials, phone
 * lines, SIP accounts) that a hot path would otherwise read with a statement per request.
 *
 * Every change of configuration is made through Kysely; the prepared hot-path statements
 * (statements.ts) write only operational rows (codes, events, outbox). So a cache entry stamped with
 * the version it was read under is stale as soon as the version moves. The version moves after a
 * write has run and again after a commit: an entry read while a transaction was open (still seeing
 * the old rows) carries a version older than the commit's, so the next request after a change (its
 * answer is sent after the commit) never meets an entry from before it. Writes made by other
 * processes are not seen here: core/fresh-cache.ts bounds that with a lifetime.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';

export interface Changes {
  /** Moves on every write (and commit) this process makes through Kysely. */
  readonly version: number;
}

/** A raw statement that only reads (Kysely's own selects are known by their node kind). */
const READ_ONLY = /^\s*(select|pragma)\b/i;

export function countingChanges(dialect: Dialect): { dialect: Dialect; changes: Changes } {
  const changes = { version: 0 };
  const counting = aroundQueries(dialect, async (query, execute) => {
    const result = await execute();
    const kind = query.query.kind;
    if (kind !== 'SelectQueryNode' && !(kind === 'RawNode' && READ_ONLY.test(query.sql))) changes.version++;
    return result;
  });
  return { dialect: counting, changes };
}

/** A dialect whose connections run every query through `around` (counting, tracing). */
export function aroundQueries(dialect: Dialect, around: (query: CompiledQuery, execute: () => Promise<QueryResult<unknown>>) => Promise<QueryResult<unknown>>): Dialect {
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const wrap = (connection: DatabaseConnection): DatabaseConnection => {
    let proxy = wrapped.get(connection);
    if (!proxy) {
      const executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        around(query, () => connection.executeQuery<unknown>(query)) as Promise<QueryResult<R>>;
      // The driver gets this connection back (release, transactions): everything else is the original's.
      proxy = new Proxy(connection, {
        get: (target, key) => {
          if (key === 'executeQuery') return executeQuery;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      wrapped.set(connection, proxy);
    }
    return proxy;
  };
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: (): Driver => {
      const driver = dialect.createDriver();
      return new Proxy(driver, {
        get: (target, key) => {
          if (key === 'acquireConnection') return async () => wrap(await target.acquireConnection());
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}
