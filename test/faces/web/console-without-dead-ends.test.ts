// The console and the sign-in pages in Chromium, as issue 25 found them and as they must be now: every
// refused form comes back filled with the error under its field; a destructive action does nothing until
// it is confirmed on a page of its own; records and usage cover every tenant in reach; a wrong address
// answers a readable page; accounts have search and paging; a voice section; a super agent is offered
// nothing it may not do; /login finds the partner from the email, keeps a return-to (own paths only) and
// lands on My security. Every console page is shot at 375 and 1280 px and none is wider than the phone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { basic, call } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type VoiceWorld, callSid, startVoiceWorld } from '../voice/voice-world.js';

const PASSWORD = 'correct horse battery';

async function postStatus(page: Page, click: () => Promise<unknown>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), click()]);
  return response.status();
}

/** Shoots the page at both widths and proves it fits a phone: nothing wider than 375 px. */
async function shootFitting(browser: TestBrowser, page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 375, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `${name} (${page.url()}) is ${width} px wide at 375 px`);
  await browser.shoot(page, name);
}

for (const dialect of DIALECTS) {
  describe(`web: the console without dead ends, and the sign-in pages (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    let browser: TestBrowser;
    let origin: string;
    let lineA: number;
    let records: { sid: string; token: string; id: number };
    before(async () => {
      w = await startVoiceWorld(dialect);
      browser = await startBrowser(`console-pages-${dialect}`);
      origin = browser.origin(w.server.url);
      const numberA = w.newNumber();
      await w.assign(numberA, w.siteA);
      lineA = (await w.line(w.siteA, { name: 'Front desk', phoneNumber: numberA, agentIds: [w.agentA1.id] })).body.id;
      const event = (status: string, day: number) =>
        w.webhook('/voicetwilio/statuscallback', { CallSid: callSid(), From: '+14155550123', To: numberA, Direction: 'inbound', CallStatus: status, Timestamp: new Date(Date.UTC(2026, 10, day, 9)).toUTCString() });
      await event('completed', 1);
      await event('no-answer', 2);
      // A tenant beyond the admin's own tree, with one send: "every tenant in reach" must find it.
      const { tenant, authToken } = await w.server.runtime.core.tenants.create(null, { name: 'Records Ltd' });
      records = { sid: tenant.sid, token: authToken, id: tenant.id };
      const send = await call(`${w.server.url}/2fa/send`, { method: 'POST', headers: basic(tenant.sid, authToken), json: { service: 'login', from: '+15550001111', to: '+14155550177', body: 'Your code is {code}' } });
      assert.equal(send.body.code, 200, send.text);
    });
    after(async () => {
      await browser?.close();
      await w?.close();
    });

    /** A console page opened with the bootstrap admin's key. */
    async function adminPage(): Promise<Page> {
      const page = await (await browser.context()).newPage();
      await page.goto(`${origin}/console`);
      await page.fill('#apiKey', w.server.admin.apiKey);
      await page.click('button[type=submit]');
      assert.ok(await page.locator('.tree').first().isVisible());
      return page;
    }

    it('every console form refused comes back filled, the error under its field', async () => {
      const page = await (await browser.context()).newPage();
      await page.goto(`${origin}/console`);
      await page.fill('#apiKey', 'gha_not-a-real-key');
      assert.equal(await postStatus(page, () => page.click('button[type=submit]')), 401);
      assert.match(await page.locator('#error-apiKey').innerText(), /not valid/);
      assert.ok(await page.locator('#apiKey').isVisible(), 'the form is there to try again');
      await shootFitting(browser, page, 'console-key-refused');
      await page.fill('#apiKey', w.server.admin.apiKey);
      await page.click('button[type=submit]');

      // A blank tenant name (spaces pass the browser's "required"): said under the name, the parent kept.
      await page.fill('#tenant-name', '   ');
      await page.selectOption('#tenant-parent', String(w.partner));
      assert.equal(await postStatus(page, () => page.click('#new-tenant button')), 400);
      assert.match(await page.locator('#error-name').innerText(), /name/i);
      assert.equal(await page.locator('#tenant-parent').inputValue(), String(w.partner));
      await shootFitting(browser, page, 'console-tenant-refused');

      // A duplicate account email: said under the email, the email and role kept.
      await page.goto(`${origin}/console/tenants/${w.partner}`);
      await page.fill('#account-email', w.superP.email);
      await page.fill('#account-password', PASSWORD);
      await page.selectOption('#account-role', 'superagent');
      assert.equal(await postStatus(page, () => page.click('#new-account button')), 400);
      assert.ok(await page.locator('#error-email').isVisible(), await page.locator('main').innerText());
      assert.equal(await page.locator('#account-email').inputValue(), w.superP.email);
      assert.equal(await page.locator('#account-role').inputValue(), 'superagent');
      assert.equal(await page.locator('#account-password').inputValue(), '', 'a password is not written back into the page');
      await shootFitting(browser, page, 'console-account-refused');

      // Limits: a bucket editor, no JSON. A bad number is said under its row; a taken name under the name; both keep what was typed.
      await page.goto(`${origin}/console/limits?tenant=${w.siteA}`);
      assert.equal(await page.locator('textarea').count(), 0, 'no raw JSON to type');
      await page.fill('#limit-name', 'per-recipient');
      await page.fill('#limit-description', 'five an hour');
      await page.fill('#bucket_name_1', 'per day');
      await page.fill('#bucket_max_1', '0');
      await page.fill('#bucket_every_1', '1');
      await page.selectOption('#bucket_unit_1', 'd');
      assert.equal(await postStatus(page, () => page.click('#new-limit button[type=submit]')), 400);
      assert.match(await page.locator('#error-bucket_max_1').innerText(), /1 or more/);
      assert.equal(await page.locator('#limit-name').inputValue(), 'per-recipient');
      assert.equal(await page.locator('#limit-description').inputValue(), 'five an hour');
      assert.equal(await page.locator('#bucket_name_1').inputValue(), 'per day');
      assert.equal(await page.locator('#bucket_unit_1').inputValue(), 'd');
      await shootFitting(browser, page, 'console-limit-refused');
      await page.fill('#bucket_max_1', '20');
      await page.click('#new-limit button[type=submit]');
      assert.match(await page.locator('.notice.ok').innerText(), /Created limit per-recipient/);
      assert.match(await page.locator('#limits .buckets-summary').innerText(), /per recipient: 5 per hour · per day: 20 per day/);
      await page.fill('#limit-name', 'per-recipient');
      assert.equal(await postStatus(page, () => page.click('#new-limit button[type=submit]')), 400);
      assert.match(await page.locator('#error-name').innerText(), /already exists/);
      assert.equal(await page.locator('#limit-name').inputValue(), 'per-recipient');
      // The edit form too.
      await page.goto(`${origin}/console/limits?tenant=${w.siteA}`);
      await page.click('#limits a:has-text("Edit")');
      await page.fill('#bucket_every_0', 'soon');
      assert.equal(await postStatus(page, () => page.click('#edit-limit button[type=submit]')), 400);
      assert.match(await page.locator('#error-bucket_every_0').innerText(), /whole number/);
      assert.equal(await page.locator('#bucket_every_0').inputValue(), 'soon');
      await shootFitting(browser, page, 'console-limit-edit-refused');
      await page.context().close();
    });

    it('a destructive action does nothing until it is confirmed on a page of its own', async () => {
      const page = await adminPage();
      const core = w.server.runtime.core;
      const target = await w.newAgent(w.siteA);
      await page.goto(`${origin}/console/tenants/${w.siteA}`);
      await page.click(`#account-${target.id} a:has-text("Block")`);
      assert.match(await page.locator('.confirm').innerText(), new RegExp(`Block ${target.email.replace('.', '\\.')}\\?`));
      assert.equal(new URL(page.url()).pathname, `/console/accounts/${target.id}/block`, 'a page of its own, by link');
      assert.equal(await page.locator('script').count(), 0);
      await shootFitting(browser, page, 'console-confirm-block');
      // Cancel goes back, nothing changed.
      await page.click('.confirm a:has-text("Cancel")');
      const admin = await core.credentials.authenticateApiKey(w.server.admin.apiKey);
      assert.equal((await core.accounts.get(admin, target.id)).blocked, false);
      // A post without confirm=yes (a stale form, a crafted request) changes nothing and asks again.
      await page.goto(`${origin}/console/accounts/${target.id}/block`);
      await page.locator('.confirm input[name=confirm]').evaluate((input) => input.remove());
      assert.equal(await postStatus(page, () => page.click('.confirm button')), 200);
      assert.ok(await page.locator('.confirm').isVisible(), 'the question again');
      assert.equal((await core.accounts.get(admin, target.id)).blocked, false, 'not blocked without confirm=yes');
      await page.click('.confirm button');
      assert.equal((await core.accounts.get(admin, target.id)).blocked, true, 'confirmed: blocked');
      assert.match(await page.locator('.notice.ok').innerText(), /blocked\./);

      // Deleting a limit the same way.
      await page.goto(`${origin}/console/limits?tenant=${w.siteB}`);
      await page.fill('#limit-name', 'doomed');
      await page.click('#new-limit button[type=submit]');
      await page.click('#limits .item:has-text("doomed") a:has-text("Delete")');
      await shootFitting(browser, page, 'console-confirm-limit-delete');
      await page.locator('.confirm input[name=confirm]').evaluate((input) => input.remove());
      await page.click('.confirm button');
      await page.goto(`${origin}/console/limits?tenant=${w.siteB}`);
      assert.equal(await page.locator('#limits .item:has-text("doomed")').count(), 1, 'still there without confirm=yes');
      await page.click('#limits .item:has-text("doomed") a:has-text("Delete")');
      await page.click('.confirm button');
      assert.match(await page.locator('.notice.ok').innerText(), /Deleted limit doomed/);
      await page.context().close();
    });

    it('records and usage cover every tenant in reach; a wrong address answers a readable page', async () => {
      const page = await adminPage();
      await page.goto(`${origin}/console/sdr`);
      assert.match(await page.locator('#sdr-total').innerText(), /^1 record across every tenant in reach/, 'the send of a tenant beyond the bootstrap tenant');
      await shootFitting(browser, page, 'console-sdr');
      await page.click('#sdr tbody a');
      assert.match(await page.locator('#sdr-detail').innerText(), /\+14155550177/);
      await shootFitting(browser, page, 'console-sdr-detail');
      await page.goto(`${origin}/console/usage`);
      assert.equal(await page.locator('#usage-sends').innerText(), '1');
      await shootFitting(browser, page, 'console-usage');
      await page.goto(`${origin}/console/sdr?tenant=${records.id}`);
      assert.match(await page.locator('#sdr-total').innerText(), /^1 record for Records Ltd/, 'a tenant by its number');

      for (const [path, said] of [
        ['/console/limits?tenant=999999', /no tenant “999999” in your reach/],
        ['/console/sdr?channel=fax&page=x&from=yesterday', /“fax” is not a channel.*“yesterday” is not a day/],
        ['/console/usage?days=9999', /not a number of days/],
        ['/console/voice/calls?status=lost', /“lost” is not a call status/],
      ] as const) {
        const res = await page.goto(`${origin}${path}`);
        assert.ok(res!.status() === 400 || res!.status() === 404, `${path}: ${res!.status()}`);
        assert.match(await page.locator('.notice.error').innerText(), said, path);
        assert.ok(await page.locator('nav.tabs').isVisible(), `${path}: the console around it, not a dead end`);
      }
      const raw = await page.goto(`${origin}/console/tenants/abc`);
      assert.equal(raw!.status(), 400);
      assert.doesNotMatch(await page.locator('main').innerText(), /pattern|\^\[/, 'no validator words');
      assert.ok(await page.locator('main a[href="/console"]').isVisible(), 'a way on');
      await page.context().close();
    });

    it('accounts have search and paging', async () => {
      const core = w.server.runtime.core;
      const { tenant } = await core.tenants.create(null, { name: 'Crowded', parent: w.partner });
      for (let i = 1; i <= 23; i++) await core.accounts.create(null, { tenant: tenant.id, email: `member${String(i).padStart(2, '0')}@crowd.test`, role: 'agent', password: PASSWORD });
      const page = await adminPage();
      await page.goto(`${origin}/console/tenants/${tenant.id}`);
      assert.match(await page.locator('#accounts-total').innerText(), /23 accounts · page 1 of 2/);
      assert.equal(await page.locator('#accounts .item').count(), 20);
      await page.click('a:has-text("next →")');
      assert.equal(await page.locator('#accounts .item').count(), 3);
      await page.fill('#account-q', 'member07');
      await page.click('#account-search button');
      assert.match(await page.locator('#accounts-total').innerText(), /^1 account matching/);
      assert.match(await page.locator('#accounts').innerText(), /member07@crowd\.test/);
      await shootFitting(browser, page, 'console-accounts-search');
      await page.context().close();
    });

    it('a voice section: lines with their routing, numbers, call records with filters', async () => {
      const page = await adminPage();
      await page.click('nav.tabs a:has-text("Voice")');
      await page.selectOption('#site', String(w.siteA));
      await page.click('main form button');
      const line = page.locator(`#line-${lineA}`);
      assert.match(await line.innerText(), /Front desk/);
      assert.match(await line.innerText(), new RegExp(w.agentA1.email.replace('.', '\\.')));
      assert.match(await line.innerText(), /No answer/);
      assert.match(await page.locator('#numbers').innerText(), /Front desk/);
      await shootFitting(browser, page, 'console-voice');
      await page.click('#calls-link');
      assert.equal(await page.locator('#calls-total').innerText(), `2 calls for Site A and its sub-accounts`);
      await page.selectOption('#status', 'no-answer');
      await page.click('#call-search button');
      assert.match(await page.locator('#calls-total').innerText(), /^1 call/);
      await shootFitting(browser, page, 'console-voice-calls');
      await page.click('#calls tbody a');
      assert.match(await page.locator('#call-events').innerText(), /no-answer/);
      await shootFitting(browser, page, 'console-voice-call');
      await page.context().close();
    });

    it('a super agent signs in by email alone, comes back to the console, and is offered nothing it may not do', async () => {
      const page = await (await browser.context()).newPage();
      await page.goto(`${origin}/console`);
      await page.click('#console-sign-in');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/console');
      await page.fill('#email', w.superP.email);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      assert.equal(new URL(page.url()).pathname, '/console', 'back where it started');
      const tabs = await page.locator('nav.tabs a').allInnerTexts();
      // The audit trail (changes.read: all) and its own credentials (credentials.read: own) are a super agent's too.
      assert.deepEqual(tabs, ['Tenants & accounts', 'Voice', 'Audit trail', 'Credentials'], 'no Limits, Send records, Usage, Outbox, Fraud guard, Delivery or Webhooks');
      assert.equal(await page.locator('#new-tenant').count(), 0, 'no "New tenant"');
      await shootFitting(browser, page, 'console-superagent');
      await page.goto(`${origin}/console/tenants/${w.siteA}`);
      assert.equal(await page.locator('#new-account').count(), 0, 'a super agent creates no accounts here');
      assert.equal(await page.locator('#accounts a:has-text("Block")').count(), 0);
      await shootFitting(browser, page, 'console-superagent-site');
      // Every link and form the super agent is shown on its console pages leads somewhere it may go.
      const seen = new Set<string>();
      for (const start of ['/console', `/console/tenants/${w.partner}`, `/console/tenants/${w.siteA}`, `/console/tenants/${w.siteA}/sip-domains`, '/console/voice', `/console/voice/calls?site=${w.siteA}`]) {
        await page.goto(`${origin}${start}`);
        const targets = await page.locator('main a[href^="/console"], nav.tabs a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
        const forms = await page.locator('main form[method=post]').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')!));
        assert.deepEqual(forms.filter((f) => !f.startsWith('/console/accounts/') || !f.endsWith('/unblock')), forms, 'only actions of its own role');
        for (const href of targets) {
          if (seen.has(href)) continue;
          seen.add(href);
          const res = await call(`${w.server.url}${href}`, { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
          assert.notEqual(res.status, 403, `${start} links to ${href}, which says "Not allowed"`);
        }
      }
      assert.ok(seen.size >= 6, `walked ${[...seen].join(' ')}`);
      // The limits of another partner's tenant, typed by hand: a readable refusal with ways on, no schema words.
      const res = await page.goto(`${origin}/console/limits?tenant=2`);
      assert.equal(res!.status(), 403);
      assert.equal(await page.locator('h1').innerText(), 'Not allowed');
      assert.match(await page.locator('.notice.error').innerText(), /super agent may not manage limits/);
      assert.ok(await page.locator('main a[href="/console"]').isVisible());
      await page.context().close();
    });

    it('sign-in: the partner from the email once a password matches, one message for every failure, a return-to only to own paths, My security after', async () => {
      const core = w.server.runtime.core;
      // One email at two partners: each password finds its own; the same password at both is ambiguous.
      const { tenant: partner2 } = await core.tenants.create(null, { name: 'Partner R' });
      await core.accounts.create(null, { tenant: partner2.id, email: w.superP.email, role: 'superagent', password: 'another long password' });
      const page = await (await browser.context()).newPage();
      const res = await page.goto(`${origin}/account/security`);
      assert.equal(new URL(page.url()).pathname, '/login', 'signed out: sent to sign in');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/account/security');
      assert.equal(res!.status(), 200);
      assert.match(await page.locator('#partner-help').innerText(), /Leave them empty/);
      await shootFitting(browser, page, 'login');
      const signIn = async (email: string, password: string, partnerId = '') => {
        await page.fill('#email', email);
        await page.fill('#password', password);
        await page.fill('#partnerId', partnerId);
        return postStatus(page, () => page.click('button[type=submit]'));
      };
      const failures: string[] = [];
      for (const [email, password, partnerId] of [
        [w.superP.email, 'wrong password', ''],
        ['nobody@example.com', PASSWORD, ''],
        [w.superP.email, PASSWORD, String(w.otherPartner)],
        [w.superP.email, 'another long password', String(w.partner)],
      ]) {
        assert.equal(await signIn(email!, password!, partnerId), 401);
        failures.push(await page.locator('.notice.error').innerText());
        // Kept by the password form and by the passkey form beside it.
        for (const form of ['form[action="/login"]', '#passkey-signin-form']) {
          assert.equal(await page.locator(`${form} input[name=next]`).getAttribute('value'), '/account/security', `the return-to is kept across a failure (${form})`);
        }
      }
      assert.equal(new Set(failures).size, 1, `one uniform message: ${failures.join(' | ')}`);
      assert.match(failures[0]!, /Email or password is incorrect/);
      await shootFitting(browser, page, 'login-refused');
      // The second partner's password finds the second partner, with no Partner ID typed.
      assert.equal(await signIn(w.superP.email, 'another long password'), 303);
      await page.waitForURL(/\/account\/security$/);
      assert.match(await page.locator('main').innerText(), new RegExp(`tenant #${partner2.id}`));
      assert.match(await page.locator('#events').innerText(), /Signed in/, 'the sign-in just made is listed');
      assert.match(await page.locator('#no-devices').innerText(), /With 2FA off/, 'a super agent with 2FA off is not told every sign-in asks for a code');
      await shootFitting(browser, page, 'security-superagent');
      await page.click('header button:has-text("Sign out")');

      // Same password at both partners: ambiguous, the one message; with the Partner ID it works.
      const shared = await core.accounts.create(null, { tenant: partner2.id, email: 'twin@example.com', role: 'superagent', password: PASSWORD });
      await core.accounts.create(null, { tenant: w.partner, email: 'twin@example.com', role: 'superagent', password: PASSWORD });
      await page.goto(`${origin}/login`);
      assert.equal(await signIn('twin@example.com', PASSWORD), 401);
      assert.equal(await page.locator('.notice.error').innerText(), failures[0]);
      await signIn('twin@example.com', PASSWORD, String(partner2.id));
      await page.waitForURL(/\/account\/security$/);
      assert.match(await page.locator('main').innerText(), new RegExp(`tenant #${shared.tenantId}`));
      await page.click('header button:has-text("Sign out")');

      // A return-to elsewhere is dropped: the sign-in lands on My security, never on another host.
      for (const evil of ['//evil.test/x', '/\\evil.test', '/%2F%2Fevil.test', 'https://evil.test/']) {
        await page.goto(`${origin}/login?next=${encodeURIComponent(evil)}`);
        assert.equal(await page.locator('input[name=next]').count(), 0, `${evil} is not kept`);
      }
      await signIn(w.agentA1.email, PASSWORD);
      await page.waitForURL(/\/account\/security$/);
      assert.equal(new URL(page.url()).host, new URL(origin).host);
      // Signed in, /login goes straight on (no "Signed in" stub), to a return-to when given.
      await page.goto(`${origin}/login?next=%2Fconsole%2Fvoice`);
      assert.equal(new URL(page.url()).pathname, '/console/voice');
      await page.goto(`${origin}/login?next=%2F%2Fevil.test`);
      assert.equal(new URL(page.url()).pathname, '/account/security');
      await page.context().close();
    });

    it('every console page fits a phone (375 px) and is shot at 375 and 1280 px', async () => {
      const page = await adminPage();
      const core = w.server.runtime.core;
      const admin = await core.credentials.authenticateApiKey(w.server.admin.apiKey);
      const [limit] = (await core.limits.search(admin, { page: 0, pageSize: 1, accountSid: (await core.tenants.get(admin, w.siteA)).sid, sortBy: 'dateCreated', direction: 'desc' })).rows;
      const agent = await w.newAgent(w.siteA);
      await core.tenants.addSipDomain(admin, w.siteB, 'sip.console.test');
      const pages: Array<[string, string]> = [
        ['console-home', '/console'],
        ['console-partner', `/console/tenants/${w.partner}`],
        ['console-site', `/console/tenants/${w.siteA}`],
        ['console-sip-domains', `/console/tenants/${w.siteB}/sip-domains`],
        ['console-sip-accounts', '/console/sip/sip.console.test'],
        ['console-limits', `/console/limits?tenant=${w.siteA}`],
        ['console-limit-edit', `/console/limits/${limit!.sid}`],
        ['console-confirm-reset', `/console/accounts/${agent.id}/block`],
        ['console-sdr-all', '/console/sdr'],
        ['console-usage-all', '/console/usage'],
        ['console-outbox', '/console/outbox'],
        ['console-voice-site', `/console/voice?site=${w.siteA}`],
        ['console-voice-calls-all', `/console/voice/calls?site=${w.partner}`],
        ['console-audit', '/console/audit'],
        ['console-fraud', '/console/fraud'],
        ['console-delivery', '/console/delivery'],
        ['console-webhooks', '/console/webhooks'],
        ['console-credentials', `/console/credentials?tenant=${w.siteA}`],
        ['console-not-found', '/console/tenants/999999'],
      ];
      for (const [name, path] of pages) {
        const res = await page.goto(`${origin}${path}`);
        assert.ok(res!.status() < 500, `${path}: ${res!.status()}`);
        await shootFitting(browser, page, name);
      }
      await page.context().close();
    });
  });
}
