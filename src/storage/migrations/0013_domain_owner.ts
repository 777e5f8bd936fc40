/**
 * A SIP domain belongs to exactly one tenant, and storage holds every account to it:
 * - an account that names a domain must belong to the tenant that owns it: a composite foreign key
 *   (domain, tenant_id) → sip_domains (domain, tenant_id), so no path (admin API, Flexisip face,
 *   console, CLI) can file an account under another tenant's domain, whatever the code above does;
 * - a SIP username is unique within its domain, no longer within the tenant (one tenant's two domains
 *   may each have an `alice`); accounts without a domain keep a username unique within their tenant.
 *
 * Accounts planted before this (on a domain their tenant does not own, e.g. a partner's sipadmin on
 * another partner's domain) are kept but taken out of the domain: blocked, their domain moved to
 * `misplaced_domain` (so that neither Digest, the registrar, nor a uniqueness check finds them), and
 * reported at every start and by `gatehouse account misplaced` for an admin to resolve.
 *
 * SQLite cannot drop a table constraint or add a foreign key in place: the accounts table is rebuilt
 * (https://sqlite.org/lang_altertable.html#otheralter), its own CREATE TABLE text edited, so columns
 * other migrations added are kept whatever their order.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from './columns.js';

const OWNER_FK = 'accounts_domain_owner';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sip_domains_domain_tenant').on('sip_domains').columns(['domain', 'tenant_id']).unique().execute();
  await db.schema.alterTable('accounts').addColumn('misplaced_domain', 'varchar(253)').execute();
  await sql`
    update accounts set misplaced_domain = domain, domain = null, blocked = 1
    where domain is not null
      and not exists (select 1 from sip_domains where sip_domains.domain = accounts.domain and sip_domains.tenant_id = accounts.tenant_id)
  `.execute(db);

  if (isPostgres(db)) {
    await sql`alter table accounts drop constraint accounts_tenant_username`.execute(db);
    await sql`alter table accounts add constraint ${sql.raw(OWNER_FK)} foreign key (domain, tenant_id) references sip_domains (domain, tenant_id)`.execute(db);
  } else {
    await rebuildSqliteAccounts(db);
  }

  await db.schema.dropIndex('accounts_domain_username').execute();
  await db.schema.createIndex('accounts_domain_username').on('accounts').columns(['domain', 'username']).unique().execute();
  await db.schema
    .createIndex('accounts_tenant_username')
    .on('accounts')
    .columns(['tenant_id', 'username'])
    .unique()
    .where(sql.ref('domain'), 'is', null)
    .where(sql.ref('misplaced_domain'), 'is', null)
    .execute();
}

async function rebuildSqliteAccounts(db: Kysely<any>): Promise<void> {
  const master = await sql<{ type: string; name: string; sql: string | null }>`select type, name, sql from sqlite_master where tbl_name = 'accounts'`.execute(db);
  const table = master.rows.find((r) => r.type === 'table')?.sql;
  if (!table) throw new Error('0013: no accounts table');
  const constraint = /,\s*constraint\s+"accounts_tenant_username"\s+unique\s*\(\s*"tenant_id"\s*,\s*"username"\s*\)/i;
  if (!constraint.test(table)) throw new Error('0013: the accounts table has no accounts_tenant_username constraint to drop');
  const rebuilt = table
    .replace(constraint, '')
    .replace(/^create table\s+"?accounts"?\s*\(/i, 'create table "accounts_0013" (')
    .replace(/\)\s*$/, `, constraint "${OWNER_FK}" foreign key ("domain", "tenant_id") references "sip_domains" ("domain", "tenant_id"))`);
  const indexes = master.rows.filter((r) => r.type === 'index' && r.sql !== null && r.name !== 'accounts_domain_username').map((r) => r.sql!);
  // Off outside a transaction (SQLite ignores it inside one): dropping the old table must not
  // cascade to the rows that reference accounts.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(rebuilt).execute(trx);
      await sql`insert into accounts_0013 select * from accounts`.execute(trx);
      await sql`drop table accounts`.execute(trx);
      await sql`alter table accounts_0013 rename to accounts`.execute(trx);
      for (const index of indexes) await sql.raw(index).execute(trx);
      // The old index is recreated unique by up(); a placeholder keeps its drop there dialect-neutral.
      await sql`create index accounts_domain_username on accounts (domain, username)`.execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error(`0013: ${broken.rows.length} rows break a foreign key after the rebuild`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('0013_domain_owner cannot be undone: restore a backup');
}
