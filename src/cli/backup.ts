/**
 * `gatehouse backup --to FILE`: an online copy of the SQLite database, taken with SQLite's backup API
 * (better-sqlite3's backup()), page by page while the server keeps serving; the copy is a consistent
 * database of its own (no -wal file needed). The file must not exist yet (nothing is overwritten) and
 * is made readable by its owner only: it holds the sealed secrets and the password hashes.
 *
 * PostgreSQL has its own tool for this, made for a live database: the command prints the pg_dump to
 * run (naming $DATABASE_URL, so no password is printed) and copies nothing.
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { GatehouseError } from '../core/errors.js';
import { openSqlite } from '../storage/sqlite.js';

export async function backup(config: Config, to: string): Promise<Record<string, unknown>> {
  const file = path.resolve(to);
  if (config.database.dialect === 'postgres') {
    return { dialect: 'postgres', file: null, hint: `pg_dump --format=custom --file=${JSON.stringify(file)} "$DATABASE_URL"` };
  }
  if (config.database.file === ':memory:') throw new GatehouseError('validation', 'backup: an in-memory database has nothing to copy');
  const source = path.resolve(config.database.file);
  if (file === source) throw new GatehouseError('validation', 'backup: --to names the database itself');
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatehouseError('validation', code === 'EEXIST' ? `backup: ${file} exists; name a new file` : `backup: cannot write ${file} (${code})`);
  }
  const database = openSqlite(source, { readonly: true, fileMustExist: true });
  try {
    const started = Date.now();
    const { totalPages } = await database.backup(file);
    return { dialect: 'sqlite', file, pages: totalPages, bytes: statSync(file).size, at: new Date(started).toISOString() };
  } catch (err) {
    unlinkSync(file);
    throw err;
  } finally {
    database.close();
  }
}
