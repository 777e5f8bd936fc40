import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdminKey } from '../../../src/core/bootstrap.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

/** GET a page and keep its cookies as a browser would, for the form post that follows. */
async function open(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const cookies = res.headers.getSetCookie();
  const jar = cookies.map((c) => c.split(';')[0]).join('; ');
  const html = await res.text();
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1];
  return { res, cookies, jar, html, csrf };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

for (const dialect of DIALECTS) {
  describe(`web: headers, cookies and CSRF of the pages (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_TRUST_PROXY: 'true' } });
    });
    after(() => server?.close());

    it('every HTML page says nosniff and may not be framed; pages are not cached and run no inline script', async () => {
      for (const path of ['/login', '/console', '/console/outbox', '/account/security', '/docs']) {
        const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
        if (res.status === 303) continue;
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
        assert.equal(res.headers.get('strict-transport-security'), null, `${path}: no HSTS over plain HTTP`);
      }
      for (const path of ['/login', '/console', '/console/outbox']) {
        const res = await fetch(`${server.url}${path}`);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        const csp = res.headers.get('content-security-policy')!;
        assert.match(csp, /default-src 'none'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        assert.doesNotMatch(await res.text(), /<script/i, `${path} has no script at all`);
      }
      const docs = await fetch(`${server.url}/docs`);
      assert.doesNotMatch(docs.headers.get('content-security-policy')!, /upgrade-insecure-requests/);
    });

    it('every console page, signed in, runs no script and its policy allows no inline script', async () => {
      const admin = await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey);
      const tenant = (await server.runtime.core.tenants.list(admin))[0]!;
      for (const path of ['/console', '/console/limits', '/console/sdr', '/console/usage', '/console/outbox', '/console/voice', '/console/voice/calls', '/console/audit', '/console/fraud', '/console/delivery', '/console/webhooks', '/console/credentials', `/console/tenants/${tenant.id}`, `/console/tenants/${tenant.id}/sip-domains`]) {
        const res = await fetch(`${server.url}${path}`, { headers: { cookie: `gh_console=${server.admin.apiKey}` } });
        assert.equal(res.status, 200, path);
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
        assert.doesNotMatch(csp, /script-src/, `${path}: no script source at all`);
        assert.doesNotMatch(await res.text(), /<script|\son[a-z]+=/i, path);
      }
    });

    it('over HTTPS (behind a trusted proxy) pages send HSTS and cookies are Secure; over HTTP they are not', async () => {
      const https = await open(`${server.url}/login`, { 'x-forwarded-proto': 'https' });
      assert.match(https.res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      assert.ok(https.cookies.length > 0);
      for (const c of https.cookies) {
        assert.match(c, /; HttpOnly/i);
        assert.match(c, /; Secure/i);
        assert.match(c, /; SameSite=Lax/i);
      }
      const http = await open(`${server.url}/login`);
      for (const c of http.cookies) {
        assert.match(c, /; HttpOnly/i);
        assert.match(c, /; SameSite=Lax/i);
        assert.doesNotMatch(c, /; Secure/i);
      }
    });

    it('a form post without the page\'s CSRF token is refused and changes nothing', async () => {
      const anonymous = await open(`${server.url}/console`);
      const page = await open(`${server.url}/console`, { cookie: `gh_console=${server.admin.apiKey}` });
      assert.ok(page.csrf && anonymous.csrf);
      const post = (path: string, fields: Record<string, string>, cookie = page.jar) =>
        fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': FORM, cookie }, body: form(fields), redirect: 'manual' });
      const tenantsBefore = (await server.runtime.core.tenants.list(await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey))).length;
      const withKey = `${page.jar ? `${page.jar}; ` : ''}gh_console=${server.admin.apiKey}`;
      for (const [fields, cookie] of [
        [{ name: 'Evil' }, withKey],
        [{ name: 'Evil', _csrf: 'x'.repeat(32) }, withKey],
        [{ name: 'Evil', _csrf: anonymous.csrf! }, `${anonymous.jar}; gh_console=${server.admin.apiKey}`],
      ] as const) {
        const res = await post('/console/tenants', fields, cookie);
        assert.equal(res.status, 403, JSON.stringify(fields));
        assert.match(await res.text(), /another site/);
      }
      const tenantsAfter = (await server.runtime.core.tenants.list(await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey))).length;
      assert.equal(tenantsAfter, tenantsBefore);
      const ok = await post('/console/tenants', { name: 'Fine', _csrf: page.csrf! }, withKey);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /Created Fine/);
      const login = await post('/login', { email: 'a@b.c', password: 'x', partnerId: '1' }, anonymous.jar);
      assert.equal(login.status, 403, 'the sign-in form too');
    });

    it('the CSRF token is bound to the session: a planted gh_csrf cookie with a matching field, or a pair from another browser, is refused', async () => {
      const key = `gh_console=${server.admin.apiKey}`;
      const admin = await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey);
      const names = async () => (await server.runtime.core.tenants.list(admin)).map((t) => t.name);
      const post = (name: string, csrf: string, cookie: string) =>
        fetch(`${server.url}/console/tenants`, { method: 'POST', headers: { 'content-type': FORM, cookie }, body: form({ name, _csrf: csrf }), redirect: 'manual' });
      // A cookie the attacker chose (a sibling subdomain can set one), repeated in the form.
      const planted = 'A'.repeat(43);
      assert.equal((await post('Planted', planted, `gh_csrf=${planted}; ${key}`)).status, 403);
      // The attacker's own browser's id and token, planted in the victim's browser.
      const attacker = await open(`${server.url}/console`);
      assert.equal((await post('Planted', attacker.csrf!, `${attacker.jar}; ${key}`)).status, 403);
      // A token rendered for another session (the attacker's own key).
      const { apiKey: otherKey } = await createAdminKey(server.runtime.core, server.admin.tenant.id);
      const other = await open(`${server.url}/console`, { cookie: `gh_console=${otherKey}` });
      assert.equal((await post('Planted', other.csrf!, key)).status, 403);
      assert.ok(!(await names()).includes('Planted'));
      // The victim's own page's token works, with or without any gh_csrf cookie.
      const own = await open(`${server.url}/console`, { cookie: `gh_csrf=${planted}; ${key}` });
      assert.equal((await post('Own', own.csrf!, `gh_csrf=${planted}; ${key}`)).status, 200);
      assert.equal((await post('Own2', own.csrf!, key)).status, 200);
    });

    it('a form post another site sends (Sec-Fetch-Site or a foreign Origin) is refused even with the page\'s token, and changes nothing', async () => {
      const withKey = (jar: string) => `${jar}; gh_console=${server.admin.apiKey}`;
      const page = await open(`${server.url}/console`, { cookie: `gh_console=${server.admin.apiKey}` });
      assert.ok(page.csrf);
      const cookie = withKey(page.jar);
      const post = (name: string, headers: Record<string, string>) =>
        fetch(`${server.url}/console/tenants`, { method: 'POST', headers: { 'content-type': FORM, cookie, ...headers }, body: form({ name, _csrf: page.csrf! }), redirect: 'manual' });
      const admin = await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey);
      const names = async () => (await server.runtime.core.tenants.list(admin)).map((t) => t.name);
      for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://attacker.example' }, { origin: 'null' }] as Record<string, string>[]) {
        const res = await post('CrossSite', headers);
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.match(await res.text(), /a cookie does not authenticate it/);
      }
      assert.ok(!(await names()).includes('CrossSite'));
      const own = await post('SameOrigin', { 'sec-fetch-site': 'same-origin', origin: server.url });
      assert.equal(own.status, 200);
      assert.ok((await names()).includes('SameOrigin'));
      const signIn = await fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': FORM, cookie: page.jar, 'sec-fetch-site': 'cross-site' }, body: form({ _csrf: page.csrf!, email: 'a@b.c', password: 'x', partnerId: '1' }), redirect: 'manual' });
      assert.equal(signIn.status, 403, 'a sign-in another site posts (login CSRF) too');
    });

    it('bad form input is a 400 page naming the field, never a 500', async () => {
      const page = await open(`${server.url}/login`);
      const res = await fetch(`${server.url}/login`, {
        method: 'POST',
        headers: { 'content-type': FORM, cookie: page.jar },
        body: form({ _csrf: page.csrf!, email: 'a@b.c', password: 'x', partnerId: 'Infinity' }),
      });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type')!, /text\/html/);
      assert.match(await res.text(), /partnerId/);
    });
  });
}
