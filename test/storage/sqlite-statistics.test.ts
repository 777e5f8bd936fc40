/**
 * An ANALYZE leaves STAT4 samples in SQLite's statistics, and with them SQLite recompiles a prepared
 * statement whenever a value bound against an indexed column changes (storage.ts, dropStat4Samples).
 * Opening the database drops the samples and keeps sqlite_stat1, so the planner still knows the tables'
 * sizes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { migrate, openStorage } from '../../src/storage/storage.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gh-statistics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const count = (db: Database.Database, table: string) => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

describe('SQLite statistics', () => {
  it('an ANALYZE run while the server was stopped leaves sqlite_stat1 in place and no STAT4 samples once the database is opened', async () => {
    const file = path.join(dir, 'analyzed.db');
    const first = openStorage({ dialect: 'sqlite', file });
    await migrate(first.db);
    await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(first.db);
    await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
      select 'OTP' || printf('%032x', g), 1, 's', 'sms', '+1415555' || printf('%04d', g), 'h', 'verified', 1, g, g, g, 'delivered'
      from (with recursive s(g) as (select 1 union all select g + 1 from s where g < 2000) select g from s)`.execute(first.db);
    await first.close();

    // The operator's ANALYZE, from a connection of its own.
    const operator = new Database(file);
    operator.exec('analyze');
    assert.ok(count(operator, 'sqlite_stat4') > 0, 'this SQLite writes STAT4 samples');
    const stat1 = count(operator, 'sqlite_stat1');
    operator.close();

    const reopened = openStorage({ dialect: 'sqlite', file });
    await reopened.close();
    const after = new Database(file, { readonly: true });
    try {
      assert.equal(count(after, 'sqlite_stat4'), 0);
      assert.equal(count(after, 'sqlite_stat1'), stat1);
    } finally {
      after.close();
    }
  });

  it('opens a database that was never analyzed as it is', async () => {
    const file = path.join(dir, 'fresh.db');
    const storage = openStorage({ dialect: 'sqlite', file });
    await migrate(storage.db);
    await storage.close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.prepare("select name from sqlite_master where name like 'sqlite_stat%'").all().length, 0);
    } finally {
      db.close();
    }
  });
});
