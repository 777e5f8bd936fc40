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

  await sipStatisticsRollups(db, pg);

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

/**
 * Flexisip statistics per tenant, UTC day and domain, as core/sip-statistics/statistics.ts compiles
 * them: messages sent and encrypted (by the sender's domain and day sent), recipients reached (by the
 * recipient's domain and the day of its first 2xx delivery), calls (by the caller's domain and day
 * initiated), answered, and the milliseconds from answer to end. Devices are reported after their
 * message or call, and a later report can change a recipient's first delivery or a call's answer:
 * each message recipient and each call keeps the inputs of its contribution in a row of its own
 * (sip_statistics_recipients, sip_statistics_call_figures), whose triggers move the day's counters
 * from the old contribution to the new. Those rows go with their message or call (on delete cascade),
 * and no delete changes a counter.
 */
async function sipStatisticsRollups(db: Kysely<any>, pg: boolean): Promise<void> {
  await db.schema
    .createTable('sip_statistics_daily')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('messages_sent', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('messages_encrypted', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('messages_received', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('calls_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('calls_answered', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('calls_duration_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('sip_statistics_daily_pk', ['tenant_id', 'day', 'domain'])
    .execute();
  await db.schema
    .createTable('sip_statistics_recipients')
    .addColumn('message_id', 'varchar(64)', (c) => c.notNull().references('sip_statistics_messages.id').onDelete('cascade'))
    .addColumn('to_username', 'varchar(256)', (c) => c.notNull())
    .addColumn('to_domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('tenant_id', 'integer', (c) => c.notNull())
    /** The first 2xx delivery to any of the recipient's devices; null: none yet. */
    .addColumn('first_at', 'bigint')
    .addPrimaryKeyConstraint('sip_statistics_recipients_pk', ['message_id', 'to_username', 'to_domain'])
    .execute();
  await db.schema
    .createTable('sip_statistics_call_figures')
    .addColumn('call_id', 'varchar(64)', (c) => c.primaryKey().references('sip_statistics_calls.id').onDelete('cascade'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('domain', 'varchar(256)', (c) => c.notNull())
    /** The first acceptance by any device; null: not answered. */
    .addColumn('answered_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .execute();

  const bump = (tenant: string, day: string, domain: string, sets: Record<string, string>) => {
    const cols = Object.keys(sets);
    return `insert into sip_statistics_daily ${pg ? 'as d ' : ''}(tenant_id, day, domain, ${cols.join(', ')})
      values (${tenant}, ${day}, ${domain}, ${cols.map((c) => sets[c]).join(', ')})
      on conflict (tenant_id, day, domain) do update set ${cols.map((c) => `${c} = ${pg ? 'd.' : ''}${c} + ${sets[c]}`).join(', ')};`;
  };
  const dayOf = (t: string) => `${t} / ${DAY_MS}`;
  const firstDelivery = (row: string) => `(select min(received_at) from sip_statistics_message_devices
      where message_id = ${row}.message_id and to_username = ${row}.to_username and to_domain = ${row}.to_domain and last_status >= 200 and last_status < 300)`;
  const answeredAt = (row: string) => `(select min(invite_terminated_at) from sip_statistics_call_devices where call_id = ${row}.call_id and invite_terminated_state = 'accepted')`;
  const duration = (row: string) => `case when ${row}.ended_at is not null and ${row}.answered_at is not null and ${row}.ended_at > ${row}.answered_at then ${row}.ended_at - ${row}.answered_at else 0 end`;
  const answered = (row: string) => `case when ${row}.answered_at is null then 0 else 1 end`;

  // Each trigger body, as statements; PostgreSQL wraps them in a function, SQLite in the trigger.
  const bodies: Array<{ name: string; on: string; when: string; event: string; body: string }> = [
    {
      name: 'sip_statistics_messages_rollup', on: 'sip_statistics_messages', event: 'after insert', when: '',
      body: bump('new.tenant_id', dayOf('new.sent_at'), 'new.from_domain', { messages_sent: '1', messages_encrypted: 'new.encrypted' }),
    },
    {
      name: 'sip_statistics_message_devices_rollup', on: 'sip_statistics_message_devices', event: 'after insert or update', when: '',
      body: `insert into sip_statistics_recipients (message_id, to_username, to_domain, tenant_id, first_at)
          values (new.message_id, new.to_username, new.to_domain, (select tenant_id from sip_statistics_messages where id = new.message_id), ${firstDelivery('new')})
          on conflict (message_id, to_username, to_domain) do update set first_at = excluded.first_at;`,
    },
    {
      name: 'sip_statistics_recipients_insert', on: 'sip_statistics_recipients', event: 'after insert', when: 'new.first_at is not null',
      body: bump('new.tenant_id', dayOf('new.first_at'), 'new.to_domain', { messages_received: '1' }),
    },
    {
      name: 'sip_statistics_recipients_update', on: 'sip_statistics_recipients', event: 'after update', when: 'old.first_at is distinct from new.first_at',
      body: `${pg ? 'if old.first_at is not null then ' : ''}${bump('old.tenant_id', dayOf('old.first_at'), 'old.to_domain', { messages_received: '-1' }).replace('values (', pg ? 'values (' : 'select ').replace(/\)\s*on conflict/, pg ? ') on conflict' : ' where old.first_at is not null on conflict')}${pg ? ' end if;' : ''}
        ${pg ? 'if new.first_at is not null then ' : ''}${bump('new.tenant_id', dayOf('new.first_at'), 'new.to_domain', { messages_received: '1' }).replace('values (', pg ? 'values (' : 'select ').replace(/\)\s*on conflict/, pg ? ') on conflict' : ' where new.first_at is not null on conflict')}${pg ? ' end if;' : ''}`,
    },
    {
      name: 'sip_statistics_calls_insert', on: 'sip_statistics_calls', event: 'after insert', when: '',
      body: `insert into sip_statistics_call_figures (call_id, tenant_id, day, domain, answered_at, ended_at)
          values (new.id, new.tenant_id, ${dayOf('new.initiated_at')}, new.from_domain, null, new.ended_at);`,
    },
    {
      name: 'sip_statistics_calls_ended', on: 'sip_statistics_calls', event: 'after update', when: 'old.ended_at is distinct from new.ended_at',
      body: 'update sip_statistics_call_figures set ended_at = new.ended_at where call_id = new.id;',
    },
    {
      name: 'sip_statistics_call_devices_rollup', on: 'sip_statistics_call_devices', event: 'after insert or update', when: '',
      body: `update sip_statistics_call_figures set answered_at = ${answeredAt('new')} where call_id = new.call_id;`,
    },
    {
      name: 'sip_statistics_call_figures_insert', on: 'sip_statistics_call_figures', event: 'after insert', when: '',
      body: bump('new.tenant_id', 'new.day', 'new.domain', { calls_total: '1', calls_answered: answered('new'), calls_duration_ms: duration('new') }),
    },
    {
      name: 'sip_statistics_call_figures_update', on: 'sip_statistics_call_figures', event: 'after update', when: '',
      body: bump('new.tenant_id', 'new.day', 'new.domain', { calls_answered: `${answered('new')} - ${answered('old')}`, calls_duration_ms: `(${duration('new')}) - (${duration('old')})` }),
    },
  ];
  for (const b of bodies) {
    if (pg) {
      await sql.raw(`create function gh_${b.name}() returns trigger language plpgsql as $$ begin ${b.body} return null; end $$`).execute(db);
      await sql.raw(`create trigger ${b.name} ${b.event} on ${b.on} for each row ${b.when ? `when (${b.when})` : ''} execute function gh_${b.name}()`).execute(db);
    } else {
      // SQLite fires one trigger per event: "insert or update" is two.
      for (const event of b.event === 'after insert or update' ? ['after insert', 'after update'] : [b.event]) {
        const when = b.when.replace(/is distinct from/g, 'is not');
        await sql.raw(`create trigger ${b.name}${event === 'after update' && b.event.includes(' or ') ? '_update' : ''} ${event} on ${b.on} ${when ? `when ${when}` : ''} begin ${b.body} end`).execute(db);
      }
    }
  }

  // What was recorded before this migration.
  await sql.raw(`insert into sip_statistics_recipients (message_id, to_username, to_domain, tenant_id, first_at)
    select d.message_id, d.to_username, d.to_domain, m.tenant_id, min(case when d.last_status >= 200 and d.last_status < 300 then d.received_at end)
    from sip_statistics_message_devices d join sip_statistics_messages m on m.id = d.message_id group by d.message_id, d.to_username, d.to_domain, m.tenant_id`).execute(db);
  await sql.raw(`insert into sip_statistics_call_figures (call_id, tenant_id, day, domain, answered_at, ended_at)
    select c.id, c.tenant_id, ${dayOf('c.initiated_at')}, c.from_domain, ${answeredAt('c').replace('call_id = c.call_id', 'call_id = c.id')}, c.ended_at from sip_statistics_calls c`).execute(db);
  // The triggers above counted the recipients and calls just inserted; the messages are counted here.
  await sql.raw(`insert into sip_statistics_daily (tenant_id, day, domain, messages_sent, messages_encrypted)
    select tenant_id, ${dayOf('sent_at')}, from_domain, count(*), sum(encrypted) from sip_statistics_messages group by tenant_id, ${dayOf('sent_at')}, from_domain
    on conflict (tenant_id, day, domain) do update set messages_sent = excluded.messages_sent, messages_encrypted = excluded.messages_encrypted`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger verifications_usage_update${sql.raw(isPostgres(db) ? ' on verifications' : '')}`.execute(db);
  await sql`drop trigger verifications_usage_insert${sql.raw(isPostgres(db) ? ' on verifications' : '')}`.execute(db);
  if (isPostgres(db)) await sql`drop function gh_usage_count()`.execute(db);
  // Their triggers go with them; PostgreSQL's trigger functions are dropped apart.
  for (const table of ['sip_statistics_call_figures', 'sip_statistics_recipients', 'sip_statistics_daily']) await db.schema.dropTable(table).execute();
  if (isPostgres(db)) {
    const { rows } = await sql<{ name: string }>`select proname as name from pg_proc where proname like 'gh_sip_statistics_%'`.execute(db);
    for (const r of rows) await sql.raw(`drop function ${r.name}() cascade`).execute(db);
  }
  await db.schema.dropIndex('sip_statistics_calls_created').execute();
  await db.schema.dropIndex('sip_statistics_messages_created').execute();
  await db.schema.dropTable('maintenance_leases').execute();
  await db.schema.dropIndex('verifications_pending_expiry').execute();
  await db.schema.dropTable('usage_daily').execute();
}
