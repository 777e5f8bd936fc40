/**
 * Opens a better-sqlite3 connection whose objects (the connection and every statement it prepares) stay
 * reachable until the process ends: its prepare() keeps what it makes, and its pragma() runs through
 * statements kept the same way (better-sqlite3's own pragma() prepares one afresh on every call).
 *
 * Why: better-sqlite3 12 wraps them in node::ObjectWrap, whose destructor, since Node 24.19, removes an
 * environment cleanup hook through the isolate's current context. A garbage collection that runs
 * outside any context (V8's idle and memory-reducing collections, run between two turns of the event
 * loop) and frees one of them aborts the process: "RemoveEnvironmentCleanupHook … Assertion failed:
 * (env) != nullptr" (nodejs/node#65446). Kept, none is ever freed by a collection; Node frees them at
 * exit through the same cleanup hooks, inside the context. A closed connection's statements are
 * finalized by its close, so what stays of one is a few small objects per statement. better-sqlite3 13
 * no longer uses ObjectWrap (it is Node-API), but it supports Node 22 and later only.
 *
 * So nothing may prepare a statement and drop it: a cache that forgets one, or a statement made per
 * call, grows this list instead (storage.ts caches Kysely's statements for good).
 */
import SqliteDatabase from 'better-sqlite3';

const kept: object[] = [];

export function openSqlite(file: string, options?: SqliteDatabase.Options): SqliteDatabase.Database {
  const database = new SqliteDatabase(file, options);
  kept.push(database);
  const prepare = database.prepare.bind(database);
  const keep = (source: string) => {
    const statement = prepare(source);
    kept.push(statement);
    return statement;
  };
  database.prepare = keep as typeof database.prepare;
  const pragmas = new Map<string, SqliteDatabase.Statement>();
  database.pragma = ((source: string, options?: { simple?: boolean }) => {
    const simple = options?.simple === true;
    const key = `${simple ? 'simple ' : ''}${source}`;
    let statement = pragmas.get(key);
    if (!statement) {
      // The connection's own prepare, not whatever replaces database.prepare later (storage.ts's cache).
      statement = keep(`pragma ${source}`);
      if (simple) statement.pluck();
      pragmas.set(key, statement);
    }
    // A pragma that sets something may answer no rows: better-sqlite3's pragma() answers [] (or undefined).
    if (!statement.reader) {
      statement.run();
      return simple ? undefined : [];
    }
    return simple ? statement.get() : statement.all();
  }) as typeof database.pragma;
  return database;
}
