/**
 * Gatehouse's own passkey endpoints on SQLite and PostgreSQL: registration options (what the issue
 * asks: attestation none, resident key preferred, user verification required, RP ID from the public
 * URL), the attestation made by chromium's virtual authenticator for those options, list, rename,
 * remove; another agent sees and touches none of them; bad input is a 4xx naming the field; without a
 * public URL there are no passkeys; the site policy field; /openapi.json describes every route.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** In the page: navigator.credentials.create with JSON options, answered as RegistrationResponseJSON (text: no compiled helper leaks in). */
const create = (options: unknown) => `(async (o) => {
  const unb64 = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((t.length + 3) % 4)), (c) => c.charCodeAt(0));
  const b64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const c = await navigator.credentials.create({ publicKey: { ...o, challenge: unb64(o.challenge), user: { ...o.user, id: unb64(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((x) => ({ type: 'public-key', id: unb64(x.id) })) } });
  return { id: c.id, rawId: b64(c.rawId), type: c.type, clientExtensionResults: {},
    response: { clientDataJSON: b64(c.response.clientDataJSON), attestationObject: b64(c.response.attestationObject), transports: c.response.getTransports() } };
})(${JSON.stringify(options)})`;

for (const dialect of DIALECTS) {
  describe(`passkey endpoints (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let context: BrowserContext;
    let page: Page;
    let origin: string;
    let ada: { id: number; key: string };
    let bob: { id: number; key: string };
    let site: number;

    before(async () => {
      const port = await freePort();
      origin = `http://localhost:${port}`;
      server = await startTestServer(dialect, { port, env: { GATEHOUSE_PUBLIC_URL: origin } });
      const core = server.runtime.core;
      const partner = (await core.tenants.create(null, { name: 'Acme' })).tenant.id;
      site = (await core.tenants.create(null, { name: 'Acme EU', parent: partner })).tenant.id;
      const admin = apiKey(server.admin.apiKey);
      const person = async (email: string) => {
        const made = await call(`${origin}/admin/accounts`, { headers: admin, json: { tenant: String(site), email, role: 'agent', password: 'a long password' } });
        const key = (await call(`${origin}/admin/accounts/${made.body.id}/api-keys`, { headers: admin, json: {} })).body.apiKey as string;
        return { id: made.body.id as number, key };
      };
      ada = await person('ada@acme.test');
      bob = await person('bob@acme.test');
      browser = await startBrowser(`passkey-routes-${dialect}`);
      context = await browser.context();
      page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable', { enableUI: false });
      await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
      // A page with no passkey autofill: /login's waiting conditional request would answer with each passkey this
      // authenticator makes, and sign-in attempts of its own would join the audit trail the test reads.
      await page.goto(`${origin}/ping`);
    });
    after(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
    });

    it('answers registration options as the issue decides, from the public URL', async () => {
      const res = await call(`${origin}/passkeys/registration-options`, { method: 'POST', headers: apiKey(ada.key) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.rp.id, 'localhost');
      assert.equal(res.body.attestation, 'none');
      assert.equal(res.body.authenticatorSelection.residentKey, 'preferred');
      assert.equal(res.body.authenticatorSelection.userVerification, 'required');
      assert.equal(res.body.user.name, 'ada@acme.test');
      assert.doesNotMatch(Buffer.from(res.body.user.id, 'base64url').toString('utf8'), /@/, 'the user handle carries no email');
    });

    it('registers, lists, renames and removes; another agent reaches none of it; every step audited', async () => {
      const options = (await call(`${origin}/passkeys/registration-options`, { method: 'POST', headers: apiKey(ada.key) })).body;
      const response = await page.evaluate(create(options));
      const made = await call(`${origin}/passkeys`, { headers: apiKey(ada.key), json: { response, name: 'desk key' } });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.body.name, 'desk key');
      assert.equal(made.body.authenticator, null, 'the virtual authenticator\'s AAGUID is unknown: shown as such');
      assert.equal(typeof made.body.backedUp, 'boolean');
      assert.deepEqual(made.body.transports, ['internal']);
      // The same response again: its challenge is spent.
      const again = await call(`${origin}/passkeys`, { headers: apiKey(ada.key), json: { response } });
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'passkey_failed');
      assert.match(again.body.error.message, /challenge replayed/);
      // Options made for Bob do not register for Ada.
      const bobOptions = (await call(`${origin}/passkeys/registration-options`, { method: 'POST', headers: apiKey(bob.key) })).body;
      const bobResponse = await page.evaluate(create(bobOptions));
      const crossed = await call(`${origin}/passkeys`, { headers: apiKey(ada.key), json: { response: bobResponse } });
      assert.equal(crossed.status, 400);
      assert.match(crossed.body.error.message, /challenge unknown/);

      const list = await call(`${origin}/passkeys`, { headers: apiKey(ada.key) });
      assert.equal(list.status, 200);
      assert.equal(list.body.passkeys.length, 1);
      assert.equal((await call(`${origin}/passkeys`, { headers: apiKey(bob.key) })).body.passkeys.length, 0);
      const id = made.body.id;
      assert.equal((await call(`${origin}/passkeys/${id}`, { method: 'PATCH', headers: apiKey(bob.key), json: { name: 'mine now' } })).status, 404);
      assert.equal((await call(`${origin}/passkeys/${id}`, { method: 'DELETE', headers: apiKey(bob.key) })).status, 404);
      const renamed = await call(`${origin}/passkeys/${id}`, { method: 'PATCH', headers: apiKey(ada.key), json: { name: 'front desk' } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.name, 'front desk');
      const blank = await call(`${origin}/passkeys/${id}`, { method: 'PATCH', headers: apiKey(ada.key), json: { name: '   ' } });
      assert.equal(blank.status, 400);
      assert.equal(blank.body.error.field, 'name');
      const removed = await call(`${origin}/passkeys/${id}`, { method: 'DELETE', headers: apiKey(ada.key) });
      assert.equal(removed.status, 204);
      assert.equal((await call(`${origin}/passkeys`, { headers: apiKey(ada.key) })).body.passkeys.length, 0);
      const events = await server.runtime.core.deps.db.selectFrom('audit_events').select('event').where('account_id', '=', ada.id).where('event', 'like', 'passkey_%').orderBy('id').execute();
      assert.deepEqual(events.map((e) => e.event), ['passkey_registered', 'passkey_failure', 'passkey_failure', 'passkey_renamed', 'passkey_removed']);
    });

    it('refuses malformed input with a 4xx naming the field, never a 500', async () => {
      const notWebAuthn = await call(`${origin}/passkeys`, { headers: apiKey(ada.key), json: { response: { hello: 'world' } } });
      assert.equal(notWebAuthn.status, 400, notWebAuthn.text);
      assert.equal(notWebAuthn.body.error.field, 'assertion');
      const missing = await call(`${origin}/passkeys`, { headers: apiKey(ada.key), json: {} });
      assert.equal(missing.status, 400);
      assert.match(missing.text, /response/);
      const badId = await call(`${origin}/passkeys/abc`, { method: 'DELETE', headers: apiKey(ada.key) });
      assert.equal(badId.status, 400);
      assert.equal((await call(`${origin}/passkeys`)).status, 401);
    });

    it('sets and reads the site\'s phishing-resistant policy beside 2FARequirement', async () => {
      const admin = apiKey(server.admin.apiKey);
      const set = await call(`${origin}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: admin, json: { siteId: site, '2FARequirement': 1, phishingResistantOnly: true } });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(set.body, { siteId: site, '2FARequirement': 1, phishingResistantOnly: true });
      const read = await call(`${origin}/global/siteAuthenticationConfigs/${site}`, { headers: admin });
      assert.equal(read.body.phishingResistantOnly, true);
      const documented = await call(`${origin}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: admin, json: { siteId: site, '2FARequirement': 0 } });
      assert.equal(documented.body.phishingResistantOnly, true, 'the documented body alone leaves the Gatehouse setting as it was');
    });

    it('describes every passkey endpoint in /openapi.json', async () => {
      const doc = (await call(`${origin}/openapi.json`)).body;
      for (const [path, method] of [['/passkeys/registration-options', 'post'], ['/passkeys', 'post'], ['/passkeys', 'get'], ['/passkeys/{id}', 'patch'], ['/passkeys/{id}', 'delete']] as const) {
        assert.ok(doc.paths[path]?.[method]?.summary, `${method} ${path}`);
        assert.deepEqual(doc.paths[path][method].tags, ['passkeys']);
      }
      assert.ok(doc.paths['/global/endlogin'].post.requestBody.content['application/json'].schema.properties.assertion, 'endlogin documents assertion');
    });
  });
}

describe('passkeys without a public URL', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.close());

  it('answers that passkeys need GATEHOUSE_PUBLIC_URL, and the login pages carry no passkey script', async () => {
    const core = server.runtime.core;
    const site = (await core.tenants.create(null, { name: 'Solo' })).tenant.id;
    const agent = await core.accounts.create(null, { tenant: site, email: 'sol@solo.test', role: 'agent', password: 'a long password' });
    const key = (await core.credentials.createApiKey(null, { accountId: agent.id })).apiKey;
    const res = await call(`${server.url}/passkeys/registration-options`, { method: 'POST', headers: apiKey(key) });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'passkeys_unavailable');
    const login = await call(`${server.url}/login`);
    assert.doesNotMatch(login.text, /passkeys\.js/);
    assert.doesNotMatch(login.headers.get('content-security-policy') ?? '', /script-src/);
  });
});
