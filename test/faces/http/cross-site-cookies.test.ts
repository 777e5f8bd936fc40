/**
 * Issue 22, finding 3: a cookie authenticates nothing that changes state when another site sent the
 * request. Real HTTP requests carry the cookie a browser would hold and the Sec-Fetch-Site / Origin
 * headers a browser adds; a client that authenticates by header or Basic is not concerned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type SipUser, type World, createAccount, digestCall, tenantBasic, world } from '../flexisip/world.js';

const CROSS_SITE = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' };
const FOREIGN_ORIGIN = { origin: 'http://attacker.example' };

/** The x-api-key cookie a browser keeps after GET /api/accounts/me/api_key, and the key itself. */
async function browserKey(w: World, user: SipUser): Promise<{ key: string; cookie: string; setCookie: string }> {
  const res = await digestCall(w, user, '/api/accounts/me/api_key');
  assert.equal(res.status, 200, res.text);
  const setCookie = res.headers.get('set-cookie')!;
  return { key: res.text, cookie: setCookie.split(';')[0]!, setCookie };
}

for (const dialect of DIALECTS) {
  describe(`cookies and cross-site requests (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('the attack: a victim\'s browser opening the attacker\'s attach link is refused (403), and the attacker redeems nothing', async () => {
      const victim = await createAccount(w);
      const { key, cookie } = await browserKey(w, victim);
      // The attacker makes an auth token (public) and sends the victim a link to attach it.
      const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
      const link = `${w.url}/api/accounts/auth_token/${token}/attach`;
      for (const headers of [CROSS_SITE, FOREIGN_ORIGIN, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
        const opened = await call(link, { headers: { cookie, ...headers } });
        assert.equal(opened.status, 403, `${JSON.stringify(headers)}: ${opened.text}`);
        assert.match(opened.body.message, /another site/);
      }
      // … so the attacker, unauthenticated, gets no key for the victim.
      const redeemed = await call(`${w.url}/api/accounts/me/api_key/${token}`);
      assert.equal(redeemed.status, 404, redeemed.text);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(key) })).body.id, victim.id, 'the victim\'s key still works');
    });

    test('the same link from the server\'s own origin, or typed (Sec-Fetch-Site: none), or from a client that is not a browser, still attaches with the cookie', async () => {
      const user = await createAccount(w);
      let { cookie } = await browserKey(w, user);
      // Sec-Fetch-Site decides when present: same-origin behind a TLS proxy whose scheme the server does not see.
      for (const headers of [{ 'sec-fetch-site': 'same-origin', origin: w.url }, { 'sec-fetch-site': 'same-origin', origin: w.url.replace('http:', 'https:') }, { 'sec-fetch-site': 'none' }, { origin: w.url }, {}] as Record<string, string>[]) {
        const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
        const attached = await call(`${w.url}/api/accounts/auth_token/${token}/attach`, { headers: { cookie, ...headers } });
        assert.equal(attached.status, 200, `${JSON.stringify(headers)}: ${attached.text}`);
        const redeemed = await call(`${w.url}/api/accounts/me/api_key/${token}`);
        assert.equal(redeemed.status, 200);
        assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(redeemed.body.api_key) })).body.id, user.id);
        // The redeemed key replaces the account's previous one, as the browser's cookie would.
        cookie = redeemed.headers.get('set-cookie')!.split(';')[0]!;
      }
    });

    test('the Flexisip key cookie is SameSite=Strict and HttpOnly', async () => {
      const { setCookie } = await browserKey(w, await createAccount(w));
      assert.match(setCookie, /; SameSite=Strict/i);
      assert.match(setCookie, /; HttpOnly/i);
    });

    test('every state-changing GET is declared, and each refuses a cross-site cookie without changing anything', async () => {
      assert.deepEqual([...server.app.stateChangingGets].sort(), [
        'GET /api/accounts/:id/provision',
        'GET /api/accounts/:sip/recover/:recover_key',
        'GET /api/accounts/auth_token/:auth_token/attach',
        'GET /api/accounts/me/api_key',
        'GET /api/accounts/me/api_key/:auth_token',
        'GET /api/accounts/me/provision',
      ]);
      const user = await createAccount(w);
      const { key, cookie } = await browserKey(w, user);
      const before = (await call(`${w.url}/api/accounts/me`, { headers: apiKey(key) })).body;
      for (const path of ['/api/accounts/me/api_key', '/api/accounts/me/provision']) {
        const res = await call(`${w.url}${path}`, { headers: { cookie, ...CROSS_SITE } });
        assert.equal(res.status, 403, `${path}: ${res.text}`);
        assert.equal(res.headers.get('set-cookie'), null, `${path} set no cookie`);
      }
      const afterwards = await call(`${w.url}/api/accounts/me`, { headers: apiKey(key) });
      assert.equal(afterwards.status, 200, 'the key was not rotated');
      assert.equal(afterwards.body.provisioning_token, before.provisioning_token, 'the provisioning token was not renewed');

      // An admin's cookie: another account's provisioning token is not renewed from another site.
      const admin = await createAccount(w, { admin: true });
      const adminCookie = (await browserKey(w, admin)).cookie;
      const target = await call(`${w.url}/api/accounts/${user.id}`, { headers: w.admin });
      const refused = await call(`${w.url}/api/accounts/${user.id}/provision`, { headers: { cookie: adminCookie, ...FOREIGN_ORIGIN } });
      assert.equal(refused.status, 403, refused.text);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}`, { headers: w.admin })).body.provisioning_token, target.body.provisioning_token);
    });

    test('on every face, every route that takes an API key and changes state refuses the cookie from another site, before anything else', async (t) => {
      const routes = server.app.routeCapabilities.filter((r) => r.auth.includes('apiKey') && (r.method !== 'GET' || server.app.stateChangingGets.includes(`GET ${r.url}`)));
      const faces = new Set(routes.map((r) => r.url.split('/')[1]));
      for (const face of ['admin', 'api', '2fa', 'global', 'voiceconfig']) assert.ok(faces.has(face), `${face}: ${[...faces].join(' ')}`);
      assert.ok(routes.length > 50, `${routes.length} routes`);
      const cookie = `x-api-key=${server.admin.apiKey}`;
      for (const route of routes) {
        const path = route.url.replaceAll('::', '\0').replace(/:\w+/g, '1').replaceAll('\0', ':');
        const res = await call(`${w.url}${path}`, { method: route.method, headers: { cookie, ...CROSS_SITE }, ...(route.method === 'GET' ? {} : { json: {} }) });
        assert.equal(res.status, 403, `${route.method} ${route.url}: ${res.status} ${res.text}`);
        assert.match(res.text, /a cookie does not authenticate it/, `${route.method} ${route.url}`);
      }
      t.diagnostic(`${routes.length} state-changing routes on ${faces.size} faces refused a cross-site cookie`);
    });

    test('a cross-site cookie still reads (GET /api/accounts/me), but cannot POST, PUT or DELETE', async () => {
      const user = await createAccount(w);
      const { cookie } = await browserKey(w, user);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: { cookie, ...CROSS_SITE } })).status, 200);
      const deleted = await call(`${w.url}/api/accounts/me`, { method: 'DELETE', headers: { cookie, ...FOREIGN_ORIGIN } });
      assert.equal(deleted.status, 403, deleted.text);
      const password = await call(`${w.url}/api/accounts/me/password`, { headers: { cookie, ...CROSS_SITE }, json: { algorithm: 'SHA-256', old_password: user.password, password: 'another-pw-1' } });
      assert.equal(password.status, 403, password.text);
      assert.equal((await digestCall(w, user, '/api/accounts/me')).status, 200, 'the account and its password are unchanged');
    });

    test('header and Basic credentials are unaffected by Sec-Fetch-Site and Origin', async () => {
      const user = await createAccount(w);
      const { key } = await browserKey(w, user);
      const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
      const attached = await call(`${w.url}/api/accounts/auth_token/${token}/attach`, { headers: { ...apiKey(key), ...CROSS_SITE, ...FOREIGN_ORIGIN } });
      assert.equal(attached.status, 200, attached.text);
      const minted = await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: { ...tenantBasic(w), ...CROSS_SITE, ...FOREIGN_ORIGIN } });
      assert.equal(minted.status, 201, minted.text);
    });

    test('the public token redemption, which sets the key cookie, is refused to another site\'s link', async () => {
      const user = await createAccount(w);
      const { key } = await browserKey(w, user);
      const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
      assert.equal((await call(`${w.url}/api/accounts/auth_token/${token}/attach`, { headers: apiKey(key) })).status, 200);
      const planted = await call(`${w.url}/api/accounts/me/api_key/${token}`, { headers: CROSS_SITE });
      assert.equal(planted.status, 403, planted.text);
      assert.equal(planted.headers.get('set-cookie'), null);
      assert.equal((await call(`${w.url}/api/accounts/me/api_key/${token}`)).status, 200, 'the token was not spent');
    });
  });
}

describe('cookies and cross-site requests: the origin of GATEHOUSE_PUBLIC_URL is the server\'s own', () => {
  test('behind a proxy, a cookie post from the public origin passes; from its sibling subdomain it does not', async () => {
    const server = await startTestServer('sqlite', { env: { GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.com/' } });
    try {
      const w = await world(server);
      const user = await createAccount(w);
      const { cookie } = await browserKey(w, user);
      const attach = async (origin: string) => {
        const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
        return (await call(`${w.url}/api/accounts/auth_token/${token}/attach`, { headers: { cookie, origin } })).status;
      };
      assert.equal(await attach('https://gatehouse.example.com'), 200);
      assert.equal(await attach('https://GateHouse.Example.com'), 200, 'an origin\'s host is case-insensitive');
      assert.equal(await attach('https://evil.example.com'), 403);
      assert.equal(await attach('http://gatehouse.example.com'), 403, 'the scheme counts');
    } finally {
      await server.close();
    }
  });
});
