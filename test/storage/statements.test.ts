import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { type Storage, openStorage } from '../../src/storage/storage.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../helpers/services.js';

const open = (database: TestDatabase): Storage =>
  openStorage(database.url.startsWith('sqlite:') ? { dialect: 'sqlite', file: database.url.slice('sqlite:'.length) } : { dialect: 'postgres', url: database.url });

for (const dialect of DIALECTS) {
  describe(`prepared statements on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    before(async () => {
      database = await createTestDatabase(dialect);
      storage = open(database);
      const id = dialect === 'postgres' ? sql`id serial primary key` : sql`id integer primary key`;
      await sql`create table notes (${id}, body text not null, n integer)`.execute(storage.db);
      await sql`create table tallies (name text primary key, n integer not null)`.execute(storage.db);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('binds ? placeholders in order and answers rows, first rows and change counts', async () => {
      const insert = storage.statements.prepare<{ id: number }>('insert into notes (body, n) values (?, ?) returning id');
      const first = await insert.get('one', 1);
      const second = await insert.get('two', 2);
      assert.equal(second!.id, first!.id + 1);
      await storage.statements.durable();
      const select = storage.statements.prepare<{ body: string; n: number }>('select body, n from notes where n >= ? and body <> ? order by n');
      assert.deepEqual(await select.all(1, 'none'), [{ body: 'one', n: 1 }, { body: 'two', n: 2 }]);
      assert.deepEqual(await select.get(2, 'none'), { body: 'two', n: 2 });
      assert.equal(await select.get(3, 'none'), undefined);
      const bump = storage.statements.prepare('update notes set n = n + 10 where n <= ?');
      assert.equal(await bump.run(2), 2);
      assert.equal(await bump.run(0), 0);
      const planned = storage.statements.prepare<{ body: string }>('select body from notes where n = ?', { planEachCall: true });
      for (let i = 0; i < 7; i++) assert.deepEqual(await planned.get(11), { body: 'one' });
    });

    it("answers an insert's new id, without a RETURNING clause in the statement's text", async () => {
      const insert = storage.statements.prepare('insert into notes (body, n) values (?, ?)');
      const first = await insert.insert('three', 3);
      const second = await insert.insert('four', 4);
      assert.equal(second, first + 1);
      await storage.statements.durable();
      const byId = storage.statements.prepare<{ body: string }>('select body from notes where id = ?');
      assert.deepEqual([await byId.get(first), await byId.get(second)], [{ body: 'three' }, { body: 'four' }]);
    });

    it('keeps a counter: each add counts one on its row', async () => {
      const counter = storage.statements.counter('insert into tallies (name, n) values (?, ?) on conflict (name) do update set n = tallies.n + excluded.n');
      await Promise.all([counter.add(1, 'a'), counter.add(1, 'a'), counter.add(1, 'b'), counter.add(1, 'a')]);
      await storage.statements.durable();
      const rows = await storage.statements.prepare<{ name: string; n: number }>('select name, n from tallies order by name').all();
      assert.deepEqual(rows.map((r) => [r.name, Number(r.n)]), [['a', 3], ['b', 1]]);
    });
  });
}

describe('SQLite group commit', { skip: await skipDialect('sqlite') }, () => {
  let database: TestDatabase;
  let storage: Storage;
  /** A second connection to the same file: it sees only what is committed. */
  let other: SqliteDatabase.Database;
  const file = () => database.url.slice('sqlite:'.length);
  const committed = (body: string) => (other.prepare('select count(*) as n from notes where body = ?').get(body) as { n: number }).n;
  /**
   * A Kysely transaction that inserts a note, then holds the connection until release(), then commits
   * (or rolls back, `rollBack`). `begun` gives the note's id once it is written; `done` settles with
   * the transaction.
   */
  const holding = (body: string, rollBack = false) => {
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let inside!: (id: number) => void;
    const begun = new Promise<number>((resolve) => (inside = resolve));
    const done = storage.db.transaction().execute(async (trx) => {
      inside(Number((await trx.insertInto('notes' as never).values({ body } as never).executeTakeFirst()).insertId));
      await paused;
      if (rollBack) throw new Error('roll back');
    });
    return { begun, release, done };
  };
  before(async () => {
    database = await createTestDatabase('sqlite');
    storage = open(database);
    await sql`create table notes (id integer primary key, body text not null)`.execute(storage.db);
    await sql`create table parents (id integer primary key)`.execute(storage.db);
    await sql`create table children (id integer primary key, parent_id integer not null references parents (id) deferrable initially deferred)`.execute(storage.db);
    await sql`create table counts (name text primary key, n integer not null)`.execute(storage.db);
    // How many statements wrote a counter row.
    await sql`create table count_writes (n integer not null)`.execute(storage.db);
    await sql`insert into count_writes values (0)`.execute(storage.db);
    await sql`create trigger counts_inserted after insert on counts begin update count_writes set n = n + 1; end`.execute(storage.db);
    await sql`create trigger counts_updated after update on counts begin update count_writes set n = n + 1; end`.execute(storage.db);
    other = openSqlite(file(), { readonly: true });
  });
  after(async () => {
    other.close();
    await storage.close();
    await database.drop();
  });

  it('commits the writes of one event-loop turn together, and durable() settles only after that commit', async () => {
    const insert = storage.statements.prepare('insert into notes (body) values (?)');
    assert.equal(storage.statements.durable(), null);
    await insert.run('a');
    await insert.run('b');
    // Written and readable on this connection, not yet committed for anyone else.
    assert.equal((await storage.statements.prepare<{ n: number }>('select count(*) as n from notes where body in (?, ?)').get('a', 'b'))!.n, 2);
    assert.equal(committed('a') + committed('b'), 0);
    const durable = storage.statements.durable();
    assert.ok(durable);
    await durable;
    assert.equal(committed('a') + committed('b'), 2);
    assert.equal(storage.statements.durable(), null);
  });

  it('commits an open group before a Kysely statement runs, so Kysely never joins it', async () => {
    await storage.statements.prepare('insert into notes (body) values (?)').run('before-kysely');
    assert.ok(storage.statements.durable());
    await storage.db.insertInto('notes' as never).values({ body: 'kysely' } as never).execute();
    assert.equal(storage.statements.durable(), null);
    assert.equal(committed('before-kysely'), 1);
  });

  it('lets a write that arrives during a Kysely transaction wait for it, and keeps it when that transaction rolls back', async () => {
    const held = holding('rolled-back', true);
    await held.begun;
    const write = storage.statements.prepare('insert into notes (body) values (?)').run('waited');
    held.release();
    assert.equal(await held.done.catch((err: Error) => err.message), 'roll back');
    assert.equal(await write, 1);
    await storage.statements.durable();
    assert.equal(committed('rolled-back'), 0);
    assert.equal(committed('waited'), 1);
  });

  const COUNT = 'insert into counts (name, n) values (?, ?) on conflict (name) do update set n = n + excluded.n';
  const counted = (name: string) => (other.prepare('select n from counts where name = ?').get(name) as { n: number } | undefined)?.n ?? 0;

  it('sums a counter\'s adds per row over the group and writes each row once, in the group\'s own commit', async () => {
    const counter = storage.statements.counter(COUNT);
    const note = storage.statements.prepare('insert into notes (body) values (?)');
    const rowWrites = () => (other.prepare('select n from count_writes').get() as { n: number }).n;
    const before = rowWrites();
    await note.run('counted');
    for (let i = 0; i < 5; i++) await counter.add(1, 'x');
    await counter.add(1, 'y');
    assert.equal(counted('x'), 0, 'nothing is written before the commit');
    await storage.statements.durable();
    assert.equal(committed('counted'), 1);
    assert.equal(counted('x'), 5);
    assert.equal(counted('y'), 1);
    assert.equal(rowWrites() - before, 2, 'one write per counter row, not one per add');
    // A second group adds to what the first wrote.
    await counter.add(1, 'x');
    await storage.statements.durable();
    assert.equal(counted('x'), 6);
  });

  it('undoes a counter\'s sums with the rest of a group whose commit fails', async () => {
    const counter = storage.statements.counter(COUNT);
    await counter.add(1, 'doomed-count');
    await storage.statements.prepare('insert into children (parent_id) values (?)').run(43);
    await assert.rejects(storage.statements.durable()!, /FOREIGN KEY/);
    assert.equal(counted('doomed-count'), 0);
    await counter.add(1, 'doomed-count');
    await storage.statements.durable();
    assert.equal(counted('doomed-count'), 1, 'the failed group\'s sum is not carried into the next one');
  });

  it('drops every counter\'s sums with a group whose sum fails to be written', async () => {
    await sql`create table capped (name text primary key, n integer not null check (n < 100))`.execute(storage.db);
    const capped = storage.statements.counter('insert into capped (name, n) values (?, ?) on conflict (name) do update set n = n + excluded.n');
    const counter = storage.statements.counter(COUNT);
    // The capped counter's sum is written first (it was added first) and fails; the other's is not written yet.
    await capped.add(200, 'over');
    await counter.add(1, 'after-failed-sum');
    await assert.rejects(storage.statements.durable()!, /CHECK/);
    assert.equal(counted('after-failed-sum'), 0);
    await counter.add(1, 'after-failed-sum');
    await storage.statements.durable();
    assert.equal(counted('after-failed-sum'), 1, 'the failed group\'s sum is not carried into the next one');
  });

  it('adds through Kysely, at once, while a Kysely transaction holds the connection', async () => {
    const counter = storage.statements.counter(COUNT);
    const held = holding('kept');
    await held.begun;
    const add = counter.add(1, 'during');
    held.release();
    await held.done;
    await add;
    assert.equal(counted('during'), 1);
  });

  it("answers an insert's id through Kysely while a Kysely transaction holds the connection", async () => {
    const insert = storage.statements.prepare('insert into notes (body) values (?)');
    const held = holding('held');
    const kept = await held.begun;
    const id = insert.insert('waited');
    held.release();
    await held.done;
    assert.equal(await id, kept + 1);
    assert.deepEqual(other.prepare('select body from notes where id = ?').get(kept + 1), { body: 'waited' });
  });

  it('rejects durable() when the commit fails, and undoes every write of the group', async () => {
    const note = storage.statements.prepare('insert into notes (body) values (?)');
    const orphan = storage.statements.prepare('insert into children (parent_id) values (?)');
    await note.run('doomed');
    // A deferred foreign key is checked at commit: the whole group fails there.
    await orphan.run(42);
    await assert.rejects(storage.statements.durable()!, /FOREIGN KEY/);
    assert.equal(committed('doomed'), 0);
    assert.equal((await storage.statements.prepare<{ n: number }>('select count(*) as n from notes where body = ?').get('doomed'))!.n, 0);
    // The connection is usable again at once.
    await note.run('after');
    await storage.statements.durable();
    assert.equal(committed('after'), 1);
  });
});
