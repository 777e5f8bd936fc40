/**
 * 0013_domain_owner on data planted before it (every takeover the probe found, written straight into
 * a database migrated to 0012): misplaced accounts are blocked and taken out of the domain, never
 * deleted, nothing that references them is lost, and afterwards storage itself refuses an account on
 * another tenant's domain and a duplicate username in a domain, while one tenant's two domains may
 * each hold an `alice`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { loadConfig } from '../../../src/config.js';
import { migrationProvider } from '../../../src/storage/migrations/index.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { runCli, startServerProcess } from '../../helpers/process.js';
import { DIALECTS, type Dialect, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

/** A database migrated to 0012 holding every plant the probe made (the ids by name). */
async function plantedDatabase(dialect: Dialect): Promise<{ database: TestDatabase; ids: Record<string, number> }> {
  const database = await createTestDatabase(dialect);
  const storage = openStorage(loadConfig({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: database.dataDir, DATABASE_URL: database.url }).database);
  const db = storage.db;
  const ids: Record<string, number> = {};
  const t = Date.now();
  try {
    const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
    const { error } = await migrator.migrateTo('0012_send_to_outbox');
    if (error) throw error;

    const tenant = async (name: string, parent?: { id: number; path: string }) => {
      const sid = `AC${name.padEnd(32, '0')}`;
      const row = await db
        .insertInto('tenants')
        .values({ sid, name, parent_id: parent?.id ?? null, path: `${parent?.path ?? '/'}${sid}/`, email: null, created_at: t, updated_at: t })
        .returning(['id', 'path'])
        .executeTakeFirstOrThrow();
      return { id: Number(row.id), path: row.path };
    };
    const boot = await tenant('b00');
    const p1 = await tenant('a01', boot);
    const p2 = await tenant('a02', boot);
    const site = await tenant('a03', p1);
    ids.p1 = p1.id;
    ids.p2 = p2.id;
    for (const [domain, owner] of [['boot.test', boot], ['p1.test', p1], ['p1b.test', p1], ['p2.test', p2]] as const) {
      await db.insertInto('sip_domains').values({ tenant_id: owner.id, domain, created_at: t }).execute();
    }
    const account = async (name: string, tenantId: number, username: string | null, domain: string | null, role = 'sip') => {
      const row = await db
        .insertInto('accounts')
        .values({ tenant_id: tenantId, username, domain, email: null, phone: null, display_name: null, role, activated: 1, blocked: 0, password_hash: null, created_at: t, updated_at: t })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[name] = Number(row.id);
      if (role === 'sip' || role === 'sipadmin') {
        await db.insertInto('sip_accounts').values({ account_id: ids[name]!, ha1_md5: null, ha1_sha256: 'sealed', dtmf_protocol: null, provisioning_token: null, confirmation_key_hash: null, confirmation_key_expires: null, user_agent: null } as never).execute();
      }
      await db.insertInto('api_keys').values({ account_id: ids[name]!, key_hash: `hash-${name}`, name: null, created_at: t, expires_at: null }).execute();
    };
    await account('victim', p1.id, 'alice', 'p1.test');
    await account('victimPeer', p1.id, 'bob', 'p1.test');
    // P2 → P1: a Flexisip admin on P1's domain, and a duplicate of P1's alice.
    await account('repro', p2.id, 'repro01', 'p1.test', 'sipadmin');
    await account('duplicate', p2.id, 'alice', 'p1.test');
    // A site on its parent's domain; any tenant on the bootstrap tenant's; an unowned domain.
    await account('siteOnParent', site.id, 'carol', 'p1.test');
    await account('onBootstrap', p2.id, 'dave', 'boot.test');
    await account('unowned', p1.id, 'erin', 'nobody.test');
    // Rightful ones, and an agent without a domain.
    await account('p2alice', p2.id, 'bob', 'p2.test');
    await account('agent', p1.id, 'frank', null, 'agent');
  } finally {
    await storage.close();
  }
  return { database, ids };
}

for (const dialect of DIALECTS) {
  describe(`0013_domain_owner on planted data on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    let ids: Record<string, number> = {};
    const t = Date.now();

    before(async () => {
      ({ database, ids } = await plantedDatabase(dialect));
      storage = openStorage(loadConfig({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: database.dataDir, DATABASE_URL: database.url }).database);
      assert.deepEqual(await migrate(storage.db), ['0013_domain_owner', ...(await laterThan0013())]);
    });
    after(async () => {
      await storage?.close();
      await database?.drop();
    });

    /** Migrations registered after 0013 (by other work) run in the same call. */
    const laterThan0013 = async () => Object.keys(await migrationProvider.getMigrations()).filter((name) => name > '0013_domain_owner');

    const row = (name: string) => storage.db.selectFrom('accounts').selectAll().where('id', '=', ids[name]!).executeTakeFirstOrThrow();

    test('accounts on a domain their tenant does not own are blocked and moved out of it, not deleted', async () => {
      for (const [name, domain] of [['repro', 'p1.test'], ['duplicate', 'p1.test'], ['siteOnParent', 'p1.test'], ['onBootstrap', 'boot.test'], ['unowned', 'nobody.test']] as const) {
        const r = await row(name);
        assert.equal(r.blocked, 1, `${name} is blocked`);
        assert.equal(r.domain, null, `${name} is out of the domain`);
        assert.equal(r.misplaced_domain, domain, `${name} keeps the domain it named`);
      }
      for (const name of ['victim', 'victimPeer', 'p2alice', 'agent']) {
        const r = await row(name);
        assert.equal(r.blocked, 0, name);
        assert.equal(r.misplaced_domain, null, name);
      }
      assert.equal((await row('victim')).domain, 'p1.test');
    });

    test('nothing that references an account is lost by the rebuild', async () => {
      const count = async (table: 'accounts' | 'sip_accounts' | 'api_keys') => Number((await storage.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(await count('accounts'), 9);
      assert.equal(await count('sip_accounts'), 8);
      assert.equal(await count('api_keys'), 9);
    });

    test('the victim\'s username is free of the planted duplicate, and a lookup by address finds the victim alone', async () => {
      const found = await storage.db.selectFrom('accounts').select('id').where('domain', '=', 'p1.test').where('username', '=', 'alice').execute();
      assert.deepEqual(found.map((r) => Number(r.id)), [ids.victim]);
    });

    const insert = (tenantId: number, username: string, domain: string | null) =>
      storage.db
        .insertInto('accounts')
        .values({ tenant_id: tenantId, username, domain, email: null, phone: null, display_name: null, role: domain ? 'sip' : 'agent', activated: 1, blocked: 0, password_hash: null, created_at: t, updated_at: t })
        .execute();

    test('storage refuses an account on another tenant\'s domain, and on a domain nobody owns', async () => {
      await assert.rejects(insert(ids.p2!, 'mallory', 'p1.test'), (err: { code?: string }) => ['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'].includes(String(err.code)));
      await assert.rejects(insert(ids.p1!, 'mallory', 'nobody.test'), (err: { code?: string }) => ['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'].includes(String(err.code)));
    });

    test('a username is unique within its domain; one tenant\'s two domains may each hold it', async () => {
      await assert.rejects(insert(ids.p1!, 'alice', 'p1.test'), (err: { code?: string }) => ['23505', 'SQLITE_CONSTRAINT_UNIQUE'].includes(String(err.code)));
      await insert(ids.p1!, 'alice', 'p1b.test');
      // The planted P2 account named bob on p1.test no longer stands in the way, nor does P2's bob.
      await insert(ids.p1!, 'bob', 'p1b.test');
    });

    test('without a domain, a username stays unique within its tenant', async () => {
      await assert.rejects(insert(ids.p1!, 'frank', null), (err: { code?: string }) => ['23505', 'SQLITE_CONSTRAINT_UNIQUE'].includes(String(err.code)));
      await insert(ids.p2!, 'frank', null);
    });

    // Only SQLite rebuilds the table (with foreign keys off for the copy); PostgreSQL has nothing to turn back on.
    if (dialect === 'sqlite') {
      test('SQLite keeps its foreign keys on after the rebuild', async () => {
        const on = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(storage.db);
        assert.equal(on.rows[0]?.foreign_keys, 1);
      });
    }
  });
}

for (const dialect of DIALECTS) {
  describe(`misplaced accounts are reported for an admin to resolve (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let ids: Record<string, number>;
    before(async () => {
      ({ database, ids } = await plantedDatabase(dialect));
    });
    after(() => database?.drop());
    const env = () => ({ DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: database.dataDir });
    const MISPLACED = ['repro', 'duplicate', 'siteOnParent', 'onBootstrap', 'unowned'];

    test('the first start migrates and says so in one log line, naming each account and nothing secret', async () => {
      const server = await startServerProcess(env());
      await server.stop();
      const lines = server.output().split('\n').filter((l) => l.includes('gatehouse account misplaced'));
      assert.equal(lines.length, 1, server.output());
      const line = JSON.parse(lines[0]!);
      assert.equal(line.level, 40, 'a warning');
      assert.deepEqual(line.misplacedAccounts.map((a: { id: number }) => a.id), MISPLACED.map((n) => ids[n]));
      assert.match(line.msg, /^5 account\(s\) named a SIP domain their tenant does not own/);
    });

    test('`gatehouse account misplaced` lists them with the domain they named and its owner', async () => {
      const res = await runCli(['account', 'misplaced', '--json'], env());
      assert.equal(res.code, 0, res.stderr);
      const listed = JSON.parse(res.stdout) as Array<{ id: number; domain: string; ownerTenantId: number | null }>;
      assert.deepEqual(listed.map((a) => a.id), MISPLACED.map((n) => ids[n]));
      const repro = listed.find((a) => a.id === ids.repro)!;
      assert.equal(repro.domain, 'p1.test');
      assert.equal(repro.ownerTenantId, ids.p1);
      assert.equal(listed.find((a) => a.id === ids.unowned)!.ownerTenantId, null);
    });

    test('an admin resolves them one by one: restore once the tenant owns the domain, or delete', async () => {
      const refused = await runCli(['account', 'misplaced', '--restore', String(ids.repro)], env());
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /p1\.test is not a SIP domain of the account's tenant/);
      const storage = openStorage(loadConfig({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: database.dataDir, DATABASE_URL: database.url }).database);
      try {
        await storage.db.insertInto('sip_domains').values({ tenant_id: ids.p1!, domain: 'nobody.test', created_at: Date.now() }).execute();
      } finally {
        await storage.close();
      }
      const restored = await runCli(['account', 'misplaced', '--restore', String(ids.unowned)], env());
      assert.equal(restored.code, 0, restored.stderr);
      const deleted = await runCli(['account', 'misplaced', '--delete', String(ids.duplicate), '--json'], env());
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.deepEqual(JSON.parse(deleted.stdout).map((a: { id: number }) => a.id), ['repro', 'siteOnParent', 'onBootstrap'].map((n) => ids[n]));
      const after = openStorage(loadConfig({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: database.dataDir, DATABASE_URL: database.url }).database);
      try {
        const back = await after.db.selectFrom('accounts').select(['domain', 'blocked']).where('id', '=', ids.unowned!).executeTakeFirstOrThrow();
        assert.deepEqual(back, { domain: 'nobody.test', blocked: 1 }, 'back in its domain, still blocked until an admin unblocks it');
        assert.equal((await after.db.selectFrom('accounts').select('id').where('id', '=', ids.duplicate!).execute()).length, 0);
      } finally {
        await after.close();
      }
    });
  });
}
