// The least a verify or a send can cost on this machine: a bare Fastify route (a JSON body checked by
// a schema, no Gatehouse code) that runs the statements Gatehouse's verify and send run, on the same
// SQLite schema (Gatehouse's migrations), with writes grouped into one commit per event-loop turn and
// the answer sent after that commit. Used by bench/floor.ts.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Kysely, SqliteDialect } from 'kysely';
import { migrate } from '../dist/storage/storage.js';

const file = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-floor-')), 'floor.db');
const database = new Database(file);
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
await migrate(new Kysely({ dialect: new SqliteDialect({ database }) }));
const now0 = Date.now();
database.prepare("insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', ?, ?)").run(now0, now0);
const token = 'token';
database.prepare('insert into auth_tokens (tenant_id, token_hash, created_at) values (1, ?, ?)').run(createHash('sha256').update(token).digest('hex'), now0);

const q = (text) => database.prepare(text);
const auth = q('select tenants.id, tenants.sid, tenants.path from auth_tokens inner join tenants on tenants.id = auth_tokens.tenant_id where auth_tokens.token_hash = ? and tenants.sid = ?');
const bucket = q(`insert into token_buckets (key, tokens, updated_at, expires_at) values (?, ?, ?, ?) on conflict (key) do update set tokens = min(excluded.tokens + 1, token_buckets.tokens + max(0, excluded.updated_at - token_buckets.updated_at) * (excluded.tokens + 1.0) / (excluded.expires_at - excluded.updated_at)) - 1, updated_at = excluded.updated_at, expires_at = excluded.expires_at where min(excluded.tokens + 1, token_buckets.tokens + max(0, excluded.updated_at - token_buckets.updated_at) * (excluded.tokens + 1.0) / (excluded.expires_at - excluded.updated_at)) >= 1 returning key`);
const retire = q(`update verifications set status = 'canceled', updated_at = ? where tenant_id = ? and service = ? and "to" = ? and status = 'pending'`);
const allowList = q("select s.allowed_calling_codes from smart2fa_settings s inner join tenants t on t.id = s.tenant_id where ? like t.path || '%'");
const insert = q(`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status) values (?, 1, ?, 'sms', ?, ?, 'pending', 0, ?, ?, ?, 'pending')`);
const delivered = q('update verifications set delivery_status = ?, provider = ?, provider_id = ?, delivery_error = ? where request_id = ?');
const events = q('insert into verification_events (request_id, tenant_id, type, detail, created_at) values (?, 1, ?, ?, ?), (?, 1, ?, ?, ?)');
const outbox = q('insert into outbox_messages (tenant_id, channel, "to", "from", subject, body, created_at) values (1, \'sms\', ?, ?, null, ?, ?) returning id');
const state = q('select code_hash, status, attempts, expires_at from verifications where request_id = ? and tenant_id = 1');
const count = q(`update verifications set attempts = attempts + 1, updated_at = ?, status = case when ? = 1 then 'verified' when attempts + 1 >= 5 then 'failed' else status end where request_id = ? and tenant_id = 1 and status = 'pending' and attempts < 5 and expires_at > ? returning attempts, status`);
const event = q('insert into verification_events (request_id, tenant_id, type, detail, created_at) values (?, 1, ?, ?, ?)');

let group = null;
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
const pepper = randomBytes(32);
const hmac = (id, code) => createHmac('sha256', pepper).update(`${id}:${code}`).digest('hex');
function caller(header) {
  const [sid, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':');
  return auth.get(createHash('sha256').update(secret).digest('hex'), sid);
}

const app = Fastify({ logger: false });
app.post('/send', { schema: { body: { type: 'object', required: ['service', 'to', 'from', 'body'], properties: { service: { type: 'string' }, to: { type: 'string' }, from: { type: 'string' }, body: { type: 'string' } } } } }, async (req) => {
  const tenant = caller(req.headers.authorization ?? '');
  if (!tenant) throw new Error('unauthenticated');
  const { service, to, from, body } = req.body;
  allowList.all(tenant.path);
  const now = Date.now();
  const id = 'OTP' + now.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const code = String(100000 + (randomBytes(4).readUInt32BE() % 900000));
  const done = written();
  if (!bucket.get(`default:1:${to}`, 0, now, now + 60_000)) throw new Error('limited');
  retire.run(now, 1, service, to);
  insert.run(id, service, to, hmac(id, code), now + 300_000, now, now);
  const message = outbox.get(to, from, body.replace('{code}', code), now);
  delivered.run('delivered', 'outbox', String(message.id), null, id);
  events.run(id, 'created', `sms to ${to}`, now, id, 'delivery', 'outbox: delivered', now);
  await done;
  return { code: 200, message: 'OK', requestID: id };
});
app.post('/verify', { schema: { body: { type: 'object', required: ['requestId', 'code'], properties: { requestId: { type: 'string' }, code: { type: 'string' } } } } }, async (req) => {
  if (!caller(req.headers.authorization ?? '')) throw new Error('unauthenticated');
  const { requestId, code } = req.body;
  const now = Date.now();
  const done = written();
  const row = state.get(requestId);
  const right = !!row && row.status === 'pending' && row.expires_at > now && createHash('sha256').update(row.code_hash).digest().equals(createHash('sha256').update(hmac(requestId, code)).digest());
  const ok = !!row && !!count.get(now, right ? 1 : 0, requestId, now) && right;
  event.run(requestId, 'verify', ok ? 'verified' : 'refused', now);
  await done;
  return ok ? { code: 200, message: 'OK', requestID: requestId } : { code: 471, message: 'Invalid OTP Code' };
});
// The same route and answer with no statements: what HTTP and JSON alone cost.
app.post('/verify-nothing', { schema: { body: { type: 'object', required: ['requestId', 'code'], properties: { requestId: { type: 'string' }, code: { type: 'string' } } } } }, async (req) => ({ code: 200, message: 'OK', requestID: req.body.requestId }));
app.get('/outbox', async () => database.prepare('select m."to", m.body, v.request_id from outbox_messages m join verifications v on v.provider_id = cast(m.id as text) order by m.id desc limit 500').all());
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ msg: 'gatehouse listening', address }) + '\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
