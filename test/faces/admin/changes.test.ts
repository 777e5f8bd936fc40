/**
 * Reading the admin audit trail (`changes.read`): the deployment admin reads every record, a tenant's
 * credentials and its super agents the records of callers in their tree, nobody else any; the filters
 * (time, actor, action, object, outcome) and paging of GET /admin/changes, its JSON lines export, the
 * console's page and download, and the command line (its changes recorded, `gatehouse audit` reading
 * them). On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/process.js';
import { apiKey, basic, call } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, startWorld } from '../comm100/twofactor-world.js';

const PASSWORD = 'a long password';

for (const dialect of DIALECTS) {
  describe(`reading the admin audit trail on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    let url: string;
    const tenants = {} as Record<'partner' | 'siteA' | 'other', { id: number; sid: string; headers: Record<string, string> }>;
    let superKey: Record<string, string>;
    let agentKey: Record<string, string>;
    const get = (path: string, headers: Record<string, string>) => call(`${url}${path}`, { headers });
    const changes = async (query: string, headers: Record<string, string> = w.admin) => {
      const res = await get(`/admin/changes${query}`, headers);
      assert.equal(res.status, 200, res.text);
      return res.body as { changes: any[]; next: number | null };
    };

    before(async () => {
      w = await startWorld(dialect);
      url = w.server.url;
      const db = w.server.runtime.storage.db;
      for (const [name, id] of [['partner', w.partner], ['siteA', w.siteA], ['other', w.otherPartner]] as const) {
        const sid = (await db.selectFrom('tenants').select('sid').where('id', '=', id).executeTakeFirstOrThrow()).sid;
        const token = (await w.api('POST', `/admin/tenants/${id}/auth-tokens`, w.admin)).body.authToken;
        tenants[name] = { id, sid, headers: basic(sid, token) };
      }
      const key = async (id: number) => apiKey((await w.api('POST', `/admin/accounts/${id}/api-keys`, w.admin, {})).body.apiKey);
      superKey = await key(w.superP.id);
      agentKey = await key(w.agentA1.id);
      // Changes by each tenant's own credentials, done and refused.
      assert.equal((await w.api('PATCH', `/admin/tenants/${w.siteA}`, tenants.siteA.headers, { email: 'site@a.test' })).status, 200);
      assert.equal((await w.api('POST', '/admin/tenants', tenants.partner.headers, { name: 'Partner child' })).status, 201);
      assert.equal((await w.api('PATCH', `/admin/tenants/${w.partner}`, tenants.siteA.headers, { email: 'up@a.test' })).status, 403);
      assert.equal((await w.api('POST', '/admin/tenants', tenants.other.headers, { name: 'Q child' })).status, 201);
      assert.equal((await w.api('POST', '/admin/accounts', tenants.siteA.headers, { tenant: String(w.siteA), email: 'new@a.test', password: PASSWORD, role: 'agent' })).status, 201);
    });
    after(() => w?.server.close());

    test('the deployment admin reads every record; a tenant its tree\'s callers\'; a super agent its partner\'s; an agent none', async () => {
      const all = (await changes('?limit=500')).changes;
      const bySid = (sid: string) => all.filter((c) => c.actor.tenantId === tenants[sid as keyof typeof tenants]?.id);
      assert.ok(bySid('siteA').length >= 3 && bySid('other').length >= 1 && bySid('partner').length >= 1);
      const a = (await changes('?limit=500', tenants.siteA.headers)).changes;
      assert.deepEqual(a.map((c) => c.id).sort(), bySid('siteA').map((c) => c.id).sort(), 'site A reads the records of its own callers');
      const p = (await changes('?limit=500', tenants.partner.headers)).changes;
      assert.ok(p.some((c) => c.actor.tenantId === w.siteA) && p.some((c) => c.actor.tenantId === w.partner), 'the partner reads its sites\' records too');
      assert.ok(!p.some((c) => c.actor.tenantId === w.otherPartner), 'not another partner\'s');
      const s = (await changes('?limit=500', superKey)).changes;
      assert.deepEqual(s.map((c) => c.id).sort(), p.filter((c) => c.actor.tenantId !== null).map((c) => c.id).filter((id) => s.some((x) => x.id === id)).sort());
      assert.ok(s.some((c) => c.actor.tenantId === w.siteA) && !s.some((c) => c.actor.tenantId === w.otherPartner));
      const refused = await get('/admin/changes', agentKey);
      assert.equal(refused.status, 403);
      assert.equal((await get(`/admin/changes?tenant=${tenants.other.sid}`, tenants.siteA.headers)).status, 403, 'a tenant filter out of reach is refused');
      // Reading is no change: none of these reads left a record.
      assert.equal((await changes('?limit=500')).changes.length, all.length);
    });

    test('a record says who, what, on which object, from where, when, and the outcome; nothing secret', async () => {
      const [created] = (await changes(`?action=${encodeURIComponent('POST /admin/accounts')}&outcome=done&limit=1`)).changes;
      assert.equal(created.actor.role, 'tenant');
      assert.equal(created.actor.tenantId, w.siteA);
      assert.equal(created.actor.via, 'basic');
      assert.equal(created.surface, 'api');
      assert.equal(created.object.type, 'accounts');
      assert.match(created.object.id, /^\d+$/);
      assert.equal(created.clientAddress, '127.0.0.1');
      assert.ok(Math.abs(Date.parse(created.time) - Date.now()) < 600_000);
      assert.deepEqual(created.detail, { tenant: String(w.siteA), email: 'new@a.test', role: 'agent', fields: ['tenant', 'email', 'password', 'role'] });
      assert.ok(!JSON.stringify(created).includes(PASSWORD), 'the password is named, never kept');
      const [refusal] = (await changes('?outcome=refused&limit=1')).changes;
      assert.equal(refusal.action, 'PATCH /admin/tenants/:tenant');
      assert.equal(refusal.errorCode, 'forbidden');
      assert.equal(refusal.status, 403);
      assert.deepEqual(refusal.object, { type: 'tenants', id: String(w.partner) });
    });

    test('filters: time range, actor, action, object, outcome; paging by `before`', async () => {
      const all = (await changes('?limit=500')).changes;
      const refused = (await changes('?outcome=refused&limit=500')).changes;
      assert.ok(refused.length >= 1 && refused.every((c) => c.outcome === 'refused'));
      const onPartner = (await changes(`?objectType=tenants&objectId=${w.partner}`)).changes;
      assert.ok(onPartner.length >= 1 && onPartner.every((c) => c.object.type === 'tenants' && c.object.id === String(w.partner)));
      const actorId = all.find((c) => c.actor.accountId !== null)!.actor.accountId;
      const byActor = (await changes(`?actorId=${actorId}&limit=500`)).changes;
      assert.ok(byActor.length >= 1 && byActor.every((c) => c.actor.accountId === actorId));
      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await changes(`?since=${future}`)).changes.length, 0);
      assert.equal((await changes(`?until=${future}&limit=500`)).changes.length, all.length);
      assert.equal((await get('/admin/changes?since=yesterday', w.admin)).status, 400);
      // Pages of 2, newest first, cover everything once.
      const seen: number[] = [];
      let next: number | null | undefined;
      do {
        const page = await changes(`?limit=2${next ? `&before=${next}` : ''}`);
        seen.push(...page.changes.map((c) => c.id));
        next = page.next;
      } while (next);
      assert.deepEqual(seen, all.map((c) => c.id));
    });

    test('the export is JSON lines of every match, newest first', async () => {
      const all = (await changes('?limit=500')).changes;
      const res = await call(`${url}/admin/changes/export`, { headers: w.admin });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^application\/x-ndjson/);
      const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((c) => c.id), all.map((c) => c.id));
      const refused = await call(`${url}/admin/changes/export?outcome=refused`, { headers: tenants.siteA.headers });
      assert.ok(refused.text.trimEnd().split('\n').every((l) => JSON.parse(l).outcome === 'refused' && JSON.parse(l).actor.tenantId === w.siteA));
    });

    test('the console page lists, filters and downloads; a bad filter is shown under its field with the form kept', async () => {
      const cookie = { cookie: `gh_console=${w.server.admin.apiKey}` };
      const page = await call(`${url}/console/audit?outcome=refused`, { headers: cookie });
      assert.equal(page.status, 200);
      assert.match(page.text, /<table id="audit">/);
      assert.match(page.text, /PATCH \/admin\/tenants\/:tenant/);
      assert.doesNotMatch(page.text, /POST \/admin\/accounts</, 'the outcome filter applies');
      assert.match(page.text, /href="\/console\/audit"[^>]*>Audit trail</, 'a tab of the console');
      const bad = await call(`${url}/console/audit?actor=someone&action=POST%20%2Fadmin%2Ftenants`, { headers: cookie });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /id="audit-actor-error">Account: an account id/);
      assert.match(bad.text, /name="action"[^>]*value="POST \/admin\/tenants"/, 'the other filters are kept');
      const download = await call(`${url}/console/audit/export?outcome=refused`, { headers: cookie });
      assert.match(download.headers.get('content-type')!, /^application\/x-ndjson/);
      assert.ok(download.text.trim().split('\n').every((l) => JSON.parse(l).outcome === 'refused'));
      // A page post refused by its schema, before its handler found the operator, is still recorded with the operator.
      const csrf = w.server.runtime.core.csrf.token(`session\0\0${w.server.admin.apiKey}`);
      const form = await call(`${url}/console/limits`, { method: 'POST', headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, name: '', buckets: 'x' }).toString() });
      assert.equal(form.status, 400);
      const [last] = (await changes('?limit=1')).changes;
      assert.equal(last.action, 'POST /console/limits');
      assert.equal(last.surface, 'console');
      assert.equal(last.outcome, 'refused');
      assert.equal(last.errorCode, 'validation');
      assert.equal(last.actor.role, 'admin');
    });

    test('the command line records its changes and reads the trail', async () => {
      const env = { DATABASE_URL: w.server.database.url, GATEHOUSE_DATA_DIR: w.server.database.dataDir };
      const made = await runCli(['tenant', 'create', '--name', 'From the CLI', '--parent', String(w.partner)], env);
      assert.equal(made.code, 0, made.stderr);
      const refused = await runCli(['account', 'create', '--tenant', '424242', '--email', 'x@cli.test', '--password', PASSWORD], env);
      assert.equal(refused.code, 1);
      const listed = await runCli(['audit', '--json', '--action', 'cli tenant create'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const [record] = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(record.action, 'cli tenant create');
      assert.equal(record.actor.role, 'operator');
      assert.equal(record.actor.via, 'cli');
      assert.equal(record.surface, 'cli');
      assert.equal(record.outcome, 'done');
      assert.equal(record.detail.name, 'From the CLI');
      const failed = JSON.parse((await runCli(['audit', '--json', '--outcome', 'refused', '--action', 'cli account create'], env)).stdout.trim().split('\n')[0]!);
      assert.equal(failed.errorCode, 'validation', 'tenant: no such tenant');
      assert.ok(!JSON.stringify(failed).includes(PASSWORD));
      // The API shows the CLI's records to the deployment admin only (the operator has no tenant).
      const viaApi = (await changes(`?action=${encodeURIComponent('cli tenant create')}`)).changes;
      assert.equal(viaApi.length, 1);
      assert.equal((await changes(`?action=${encodeURIComponent('cli tenant create')}`, tenants.partner.headers)).changes.length, 0);
      const table = await runCli(['audit', '--limit', '3'], env);
      assert.match(table.stdout.split('\n')[0]!, /^time\s+who\s+action\s+object\s+outcome\s+from$/);
      assert.equal(table.stdout.trim().split('\n').length, 4);
      const wrong = await runCli(['audit', '--outcome', 'maybe'], env);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr.split('\n')[0]!, /^gatehouse: audit --outcome must be done or refused \(gatehouse help\)$/);
    });
  });
}


