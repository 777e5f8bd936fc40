// The least a verify or a send can cost on this machine: a bare Fastify route (a JSON body checked by
// a schema, no Gatehouse code) doing a send's or a verify's durable work on Gatehouse's schema (its
// migrations), answering after the work is committed.
// - SQLite (default): Gatehouse's statements, writes grouped into one commit per event-loop turn. A send
//   is bucket, retire, outbox row, the request already delivered, both events in one insert.
// - PostgreSQL (DATABASE_URL=postgres://…): one round trip per request. A send is one statement (the
//   outbox row and gh_send_open: bucket, retire, insert, event); a verify is one CTE (count + event).
//   On both, the credentials (and on SQLite the allow list) are checked once and kept, as Gatehouse
//   keeps them in its fresh cache: the floor of the durable work, not of authentication.
// FLOOR_DB names the SQLite file (bench/otp.ts reads the codes sent from it). Used by bench/otp.ts.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrate } from '../dist/storage/storage.js';

const postgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
const token = 'token';
const tokenHash = createHash('sha256').update(token).digest('hex');
const pepper = randomBytes(32);
const hmac = (id, code) => createHmac('sha256', pepper).update(`${id}:${code}`).digest('hex');
const newId = (now) => 'OTP' + now.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
const newCode = () => String(100000 + (randomBytes(4).readUInt32BE() % 900000));
const credentials = (header) => {
  const [sid, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':');
  return { sid, hash: createHash('sha256').update(secret ?? '').digest('hex') };
};
const VERIFIED = { code: 200, message: 'OK' };
const REFUSED = { code: 471, message: 'refused' };

function sqliteFloor() {
  const file = process.env.FLOOR_DB ?? path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-floor-')), 'floor.db');
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const q = (text) => database.prepare(text);
  const bucket = `insert into token_buckets (key, tokens, updated_at, expires_at) values (?, ?, ?, ?) on conflict (key) do update set tokens = min(excluded.tokens + 1, token_buckets.tokens + max(0, excluded.updated_at - token_buckets.updated_at) * (excluded.tokens + 1.0) / (excluded.expires_at - excluded.updated_at)) - 1, updated_at = excluded.updated_at, expires_at = excluded.expires_at where min(excluded.tokens + 1, token_buckets.tokens + max(0, excluded.updated_at - token_buckets.updated_at) * (excluded.tokens + 1.0) / (excluded.expires_at - excluded.updated_at)) >= 1 returning key`;
  let s;
  let group = null;
  const known = new Map();
  const lists = new Map();
  function authenticate(header) {
    let tenant = known.get(header);
    if (!tenant) {
      const c = credentials(header);
      tenant = s.auth.get(c.hash, c.sid);
      if (!tenant) throw new Error('unauthenticated');
      known.set(header, tenant);
    }
    return tenant;
  }
  function written() {
    if (!group) {
      database.exec('begin');
      let resolve;
      group = { done: new Promise((r) => (resolve = r)), resolve };
      setImmediate(() => {
        const g = group;
        group = null;
        database.exec('commit');
        g.resolve();
      });
    }
    return group.done;
  }
  return {
    async setup() {
      await migrate(new Kysely({ dialect: new SqliteDialect({ database }) }));
      const now = Date.now();
      q("insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', ?, ?)").run(now, now);
      q('insert into auth_tokens (tenant_id, token_hash, created_at) values (1, ?, ?)').run(tokenHash, now);
      s = {
        auth: q('select tenants.id, tenants.sid, tenants.path from auth_tokens inner join tenants on tenants.id = auth_tokens.tenant_id where auth_tokens.token_hash = ? and tenants.sid = ?'),
        bucket: q(bucket),
        retire: q(`update verifications set status = 'canceled', updated_at = ? where tenant_id = ? and service = ? and "to" = ? and status = 'pending'`),
        allowList: q("select s.allowed_calling_codes from smart2fa_settings s inner join tenants t on t.id = s.tenant_id where ? like t.path || '%'"),
        insert: q(`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status, provider, provider_id, delivery_error) values (?, 1, ?, 'sms', ?, ?, 'pending', 0, ?, ?, ?, 'delivered', 'outbox', ?, null)`),
        outbox: q('insert into outbox_messages (tenant_id, channel, "to", "from", subject, body, created_at) values (1, \'sms\', ?, ?, null, ?, ?) returning id'),
        events: q('insert into verification_events (request_id, tenant_id, type, detail, created_at) values (?, 1, ?, ?, ?), (?, 1, ?, ?, ?)'),
        count: q(`update verifications set attempts = attempts + 1, updated_at = ?, status = case when code_hash = ? then 'verified' when attempts + 1 >= 5 then 'failed' else status end where request_id = ? and tenant_id = 1 and status = 'pending' and attempts < 5 and expires_at > ? returning attempts, status`),
        event: q('insert into verification_events (request_id, tenant_id, type, detail, created_at) values (?, 1, ?, ?, ?)'),
      };
    },
    async send(header, { service, to, from, body }) {
      const tenant = authenticate(header);
      if (!lists.has(tenant.path)) lists.set(tenant.path, s.allowList.all(tenant.path));
      const now = Date.now();
      const id = newId(now);
      const code = newCode();
      const done = written();
      if (!s.bucket.get(`default:1:${to}`, 0, now, now + 60_000)) throw new Error('limited');
      s.retire.run(now, 1, service, to);
      const message = s.outbox.get(to, from, body.replace('{code}', code), now);
      s.insert.run(id, service, to, hmac(id, code), now + 300_000, now, now, String(message.id));
      s.events.run(id, 'created', `sms to ${to}`, now, id, 'delivery', 'outbox: delivered', now);
      await done;
      return id;
    },
    async verify(header, { requestId, code }) {
      authenticate(header);
      const now = Date.now();
      const done = written();
      const row = s.count.get(now, hmac(requestId, code), requestId, now);
      if (row) s.event.run(requestId, 'verify', row.status === 'verified' ? 'verified' : 'wrong code', now);
      await done;
      return row?.status === 'verified';
    },
    close: () => database.close(),
  };
}

function postgresFloor() {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  const known = new Set();
  async function authenticate(header) {
    if (known.has(header)) return;
    const c = credentials(header);
    const { rows } = await pool.query('select tenants.id from auth_tokens inner join tenants on tenants.id = auth_tokens.tenant_id where auth_tokens.token_hash = $1 and tenants.sid = $2', [c.hash, c.sid]);
    if (!rows.length) throw new Error('unauthenticated');
    known.add(header);
  }
  const send = {
    name: 'floor_send',
    text: `with m as (insert into outbox_messages (tenant_id, channel, "to", "from", subject, body, created_at) values (1, 'sms', $3, $4, null, $5, $6) returning id)
           select gh_send_open($1, 1, $2, 'sms', $3, $7, $8, $6, null, $9, 1, 60000, $10) as ok from m`,
  };
  const verify = {
    name: 'floor_verify',
    text: `with c as (update verifications set attempts = attempts + 1, updated_at = $1,
             status = case when code_hash = $2 then 'verified' when attempts + 1 >= 5 then 'failed' else status end
             where request_id = $3 and tenant_id = 1 and status = 'pending' and attempts < 5 and expires_at > $1 returning attempts, status),
           e as (insert into verification_events (request_id, tenant_id, type, detail, created_at) select $3, 1, 'verify', status, $1 from c)
           select status from c`,
  };
  return {
    async setup() {
      await migrate(new Kysely({ dialect: new PostgresDialect({ pool }) }));
      const now = Date.now();
      await pool.query("insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', $1, $1)", [now]);
      await pool.query('insert into auth_tokens (tenant_id, token_hash, created_at) values (1, $1, $2)', [tokenHash, now]);
    },
    async send(header, { service, to, from, body }) {
      await authenticate(header);
      const now = Date.now();
      const id = newId(now);
      const code = newCode();
      const { rows } = await pool.query({ ...send, values: [id, service, to, from, body.replace('{code}', code), now, hmac(id, code), now + 300_000, `default:1:${to}`, `sms to ${to}`] });
      if (!rows[0].ok) throw new Error('limited');
      return id;
    },
    async verify(header, { requestId, code }) {
      await authenticate(header);
      const now = Date.now();
      const { rows } = await pool.query({ ...verify, values: [now, hmac(requestId, code), requestId] });
      return rows[0]?.status === 'verified';
    },
    close: () => pool.end(),
  };
}

const floor = postgres ? postgresFloor() : sqliteFloor();
await floor.setup();
const sendSchema = { body: { type: 'object', required: ['service', 'to', 'from', 'body'], properties: { service: { type: 'string' }, to: { type: 'string' }, from: { type: 'string' }, body: { type: 'string' } } } };
const verifySchema = { body: { type: 'object', required: ['requestId', 'code'], properties: { requestId: { type: 'string' }, code: { type: 'string' } } } };
const app = Fastify({ logger: false });
app.post('/send', { schema: sendSchema }, async (req) => ({ code: 200, message: 'OK', requestID: await floor.send(req.headers.authorization ?? '', req.body) }));
app.post('/verify', { schema: verifySchema }, async (req, reply) => {
  if (await floor.verify(req.headers.authorization ?? '', req.body)) return { ...VERIFIED, requestID: req.body.requestId };
  return reply.status(409).send(REFUSED);
});
// The same route and answer with no statements: what HTTP and JSON alone cost.
app.post('/verify-nothing', { schema: verifySchema }, async (req) => ({ ...VERIFIED, requestID: req.body.requestId }));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ msg: 'gatehouse listening', address }) + '\n');
process.on('SIGTERM', () => app.close().then(() => floor.close()).then(() => process.exit(0)));
