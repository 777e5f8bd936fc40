/**
 * Growth: roll-ups that keep reports exact after raw rows are pruned, the index the expiry pass needs,
 * and the lease that lets one node at a time prune (core/growth/, docs/operations.md "Retention" and
 * "Roll-ups").
 *
 * usage_daily counts verifications by tenant, UTC day of the send, channel, destination country and
 * status. Triggers keep it: an insert adds one to its status, a change of status moves one from the
 * old status to the new. They run inside the statement that wrote the row, so in its transaction and
 * with no extra round trip, and nothing on the send or verify path had to change. A delete changes no
 * counter: pruning removes raw rows and the counts stay.
 *
 * On PostgreSQL concurrent sends of one tenant would all update the same counter row and wait on each
 * other's commit; each connection writes its own shard of the row instead (its backend pid mod 16), and
 * the expiry pass writes shard 16 (gatehouse.usage_shard), so that it never waits on a request's
 * counter nor a request on its. Reports add the shards.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from './columns.js';

const DAY_MS = 86_400_000;

/** ITU calling codes, as core/verifications/calling-code.ts reads them, in SQL: 'none' for email. */
const TWO_DIGITS = '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' ');
export function countrySql(row: string): string {
  const to = `${row}."to"`;
  return `case when ${row}.channel = 'email' then 'none'
    when substr(${to}, 1, 1) <> '+' then 'unknown'
    when substr(${to}, 2, 1) in ('1', '7') then substr(${to}, 2, 1)
    when substr(${to}, 2, 2) in (${TWO_DIGITS.map((d) => `'${d}'`).join(', ')}) then substr(${to}, 2, 2)
    else substr(${to}, 2, 3) end`;
}

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .createTable('usage_daily')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    .addColumn('country', 'varchar(8)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_daily_pk', ['tenant_id', 'day', 'channel', 'country', 'status', 'shard'])
    .execute();

  // The rows the expiry pass looks for, and the report's correction for those it has not reached:
  // only live codes are in it, so it stays as small as the codes live at once.
  await sql`create index verifications_pending_expiry on verifications (expires_at) where status = 'pending'`.execute(db);

  // One row per kind of maintenance: the node that holds it until expires_at does the work.
  await db.schema
    .createTable('maintenance_leases')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(64)')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('maintenance_leases').values({ name: 'retention', holder: null, expires_at: 0 }).execute();

  // Retention walks these tables by time: they have no integer key to walk in order.
  await db.schema.createIndex('sip_statistics_messages_created').on('sip_statistics_messages').column('created_at').execute();
  await db.schema.createIndex('sip_statistics_calls_created').on('sip_statistics_calls').column('created_at').execute();

  const day = (row: string) => `${row}.created_at / ${DAY_MS}`;
  if (pg) {
    const add = (row: string, delta: number) => `
      insert into usage_daily as u (tenant_id, day, channel, country, status, shard, "count")
        values (${row}.tenant_id, ${day(row)}, ${row}.channel, ${countrySql(row)}, ${row}.status, s, ${delta})
        on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = u."count" + ${delta};`;
    await sql
      .raw(
        `create function gh_usage_count() returns trigger language plpgsql as $$
        declare
          s smallint := coalesce(nullif(current_setting('gatehouse.usage_shard', true), '')::smallint, (pg_backend_pid() % 16)::smallint);
        begin
          if tg_op = 'UPDATE' then ${add('old', -1)} end if;
          ${add('new', 1)}
          return null;
        end $$`,
      )
      .execute(db);
    await sql`create trigger verifications_usage_insert after insert on verifications for each row execute function gh_usage_count()`.execute(db);
    await sql`create trigger verifications_usage_update after update of status on verifications for each row when (old.status is distinct from new.status) execute function gh_usage_count()`.execute(db);
  } else {
    const add = (row: string, delta: number) => `
      insert into usage_daily (tenant_id, day, channel, country, status, shard, "count")
        values (${row}.tenant_id, ${day(row)}, ${row}.channel, ${countrySql(row)}, ${row}.status, 0, ${delta})
        on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = "count" + ${delta};`;
    await sql.raw(`create trigger verifications_usage_insert after insert on verifications begin ${add('new', 1)} end`).execute(db);
    await sql
      .raw(`create trigger verifications_usage_update after update of status on verifications when old.status <> new.status begin ${add('old', -1)} ${add('new', 1)} end`)
      .execute(db);
  }

  // Counts of the sends made before this migration, so that reports read the same the moment after.
  await sql
    .raw(
      `insert into usage_daily (tenant_id, day, channel, country, status, shard, "count")
       select tenant_id, day, channel, country, status, 0, count(*) from (
         select r.tenant_id, ${day('r')} as day, r.channel, ${countrySql('r')} as country, r.status from verifications r
       ) v group by tenant_id, day, channel, country, status`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger verifications_usage_update${sql.raw(isPostgres(db) ? ' on verifications' : '')}`.execute(db);
  await sql`drop trigger verifications_usage_insert${sql.raw(isPostgres(db) ? ' on verifications' : '')}`.execute(db);
  if (isPostgres(db)) await sql`drop function gh_usage_count()`.execute(db);
  await db.schema.dropIndex('sip_statistics_calls_created').execute();
  await db.schema.dropIndex('sip_statistics_messages_created').execute();
  await db.schema.dropTable('maintenance_leases').execute();
  await db.schema.dropIndex('verifications_pending_expiry').execute();
  await db.schema.dropTable('usage_daily').execute();
}
