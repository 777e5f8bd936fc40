import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { type Storage, openStorage } from '../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../helpers/services.js';

const open = (database: TestDatabase): Storage =>
  openStorage(database.url.startsWith('sqlite:') ? { dialect: 'sqlite', file: database.url.slice('sqlite:'.length) } : { dialect: 'postgres', url: database.url });

for (const dialect of DIALECTS) {
  describe(`the count of configuration writes on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    // A table of this test's own, outside the application's schema.
    const db = () => storage.db as unknown as Kysely<any>;
    before(async () => {
      database = await createTestDatabase(dialect);
      storage = open(database);
      const id = dialect === 'postgres' ? sql`id serial primary key` : sql`id integer primary key`;
      await sql`create table settings (${id}, body text not null)`.execute(storage.db);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('stays put for reads, through Kysely and raw, and for prepared hot-path statements', async () => {
      const before = storage.changes.version;
      await db().selectFrom('settings').selectAll().execute();
      await sql`select count(*) from settings`.execute(storage.db);
      await storage.statements.prepare('insert into settings (body) values (?)').run('operational');
      await storage.statements.durable();
      assert.equal(storage.changes.version, before);
    });

    it('moves after every insert, update and delete made through Kysely', async () => {
      let seen = storage.changes.version;
      const moved = () => {
        const moves = storage.changes.version > seen;
        seen = storage.changes.version;
        return moves;
      };
      await db().insertInto('settings').values({ body: 'a' }).execute();
      assert.ok(moved(), 'insert');
      await db().updateTable('settings').set({ body: 'b' }).where('body', '=', 'a').execute();
      assert.ok(moved(), 'update');
      await db().deleteFrom('settings').where('body', '=', 'b').execute();
      assert.ok(moved(), 'delete');
      await sql`update settings set body = body`.execute(storage.db);
      assert.ok(moved(), 'raw write');
    });

    it('moves again at commit, after the writes inside a transaction', async () => {
      let inside = 0;
      await storage.db.transaction().execute(async (trx) => {
        await (trx as unknown as Kysely<any>).insertInto('settings').values({ body: 'in a transaction' }).execute();
        inside = storage.changes.version;
      });
      // A reader that stamped its entry with `inside` still saw the rows from before the commit.
      assert.ok(storage.changes.version > inside);
    });
  });
}
