import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jsQRModule from 'jsqr';
import { Secret, TOTP, URI } from 'otpauth';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

const PASSWORD = 'correct horse battery';
// jsqr is CommonJS whose types declare an ES default export: the function is module.exports.default.
const jsQR = jsQRModule.default;

const totp = (secret: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });

/** Reads the QR code from the page's own image, as a phone's camera would. */
async function scanQr(page: Page): Promise<string> {
  const png = PNG.sync.read(await page.locator('img#qr').screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(found, 'the QR code on the page decodes');
  return found.data;
}

for (const dialect of DIALECTS) {
  describe(`web: an agent signs in with 2FA in a browser (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let site: number;
    let partner: number;
    let openSite: number;
    before(async () => {
      server = await startTestServer(dialect);
      browser = await startBrowser(`agent-${dialect}`);
      const core = server.runtime.core;
      partner = (await core.tenants.create(null, { name: 'Acme' })).tenant.id;
      site = (await core.tenants.create(null, { name: 'Acme EU', parent: partner })).tenant.id;
      const admin = await core.credentials.authenticateApiKey(server.admin.apiKey);
      await core.twoFactor.manage.setSiteRequirement(admin, site, 1);
      await core.accounts.create(null, { tenant: site, email: 'ada@acme.test', role: 'agent', password: PASSWORD });
      openSite = (await core.tenants.create(null, { name: 'Acme Labs', parent: partner })).tenant.id;
      await core.accounts.create(null, { tenant: openSite, email: 'lin@acme.test', role: 'agent', password: PASSWORD });
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    async function signIn(page: Page, origin: string, email = 'ada@acme.test', siteId = site) {
      await page.goto(`${origin}/login`);
      await page.fill('#email', email);
      await page.fill('#password', PASSWORD);
      await page.fill('#partnerId', String(partner));
      await page.fill('#siteId', String(siteId));
      await page.click('button[type=submit]');
    }

    it('enrols from the QR code, saves the backup code, signs in with it, trusts the device and revokes it', async () => {
      const context = await browser.context();
      const page = await context.newPage();
      const origin = browser.origin(server.url);

      await page.goto(`${origin}/login`);
      assert.equal(await page.evaluate(() => window.isSecureContext), false, 'opened over plain HTTP from a host that is not localhost');
      await browser.shoot(page, 'login');
      await page.fill('#email', 'ada@acme.test');
      await page.fill('#password', 'not the password');
      await page.fill('#partnerId', String(partner));
      await page.fill('#siteId', String(site));
      await page.click('button[type=submit]');
      assert.match(await page.locator('.notice.error').innerText(), /Email or password is incorrect/);
      await browser.shoot(page, 'login-wrong-password');

      await signIn(page, origin);
      assert.equal(await page.locator('h1').innerText(), 'Set up two-factor authentication');
      const uri = URI.parse(await scanQr(page));
      assert.ok(uri instanceof TOTP);
      const secret = uri.secret.base32;
      assert.equal((await page.locator('#secret').innerText()).replace(/\s/g, ''), secret, 'the QR code and the secret shown agree');
      assert.ok(!page.url().includes(secret), 'no secret in the URL');
      await browser.shoot(page, 'enrol');

      const wrong = String((Number(totp(secret)) + 500_000) % 1_000_000).padStart(6, '0');
      await page.fill('#code', wrong);
      await page.click('button[type=submit]');
      assert.match(await page.locator('.notice.error').innerText(), /not right\. 4 tries left/);
      await browser.shoot(page, 'enrol-wrong-code');

      await page.fill('#code', totp(secret));
      await page.click('button[type=submit]');
      assert.equal(await page.locator('h1').innerText(), 'Save your backup code');
      const backupCode = (await page.locator('#backup-code').innerText()).trim();
      assert.ok(backupCode.length >= 8);
      await browser.shoot(page, 'backup-code');
      await page.click('button[type=submit]');
      assert.equal(await page.locator('h1').innerText(), 'Save your backup code', 'cannot continue before confirming');
      await page.check('input[name=saved]');
      await page.click('button[type=submit]');
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');
      await browser.shoot(page, 'signed-in');
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'gh_session');
      assert.ok(session && session.httpOnly && session.sameSite === 'Lax' && !session.secure, 'HttpOnly, SameSite=Lax, not Secure over plain HTTP');

      await page.click('header button:has-text("Sign out")');
      assert.equal(await page.locator('h1').innerText(), 'Sign in');

      // The backup code at the code step, trusting this device.
      await signIn(page, origin);
      assert.equal(await page.locator('h1').innerText(), 'Enter your code');
      await browser.shoot(page, 'code-step');
      await page.fill('#code', backupCode);
      await page.check('input[name=trust]');
      await page.click('button[type=submit]');
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');
      const device = (await context.cookies()).find((c) => c.name === 'Verifiedtoken');
      assert.ok(device?.httpOnly, 'the trusted device cookie is HttpOnly');
      await page.click('header button:has-text("Sign out")');
      await signIn(page, origin);
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test', 'a trusted device skips the code');

      // The device is listed on My security, where it is revoked and a new backup code is made.
      await page.goto(`${origin}/account/security`);
      assert.equal(await page.locator('#twofactor-state').innerText(), 'on');
      assert.equal(await page.locator('#devices .item').count(), 1);
      assert.match(await page.locator('#devices .item').innerText(), /Chrome on Linux/);
      assert.doesNotMatch(await page.locator('#devices .item').innerText(), /last used not yet/, 'the device skipped the code once: its last use is shown');
      assert.match(await page.locator('#events').innerText(), /Backup code used/);
      await browser.shoot(page, 'security');
      await page.click('#devices a:has-text("Revoke")');
      assert.equal(await page.locator('#devices').count(), 0, 'the question is a page of its own');
      await page.click('.confirm button:has-text("Revoke")');
      assert.match(await page.locator('.notice.ok').innerText(), /asked for a code/);
      assert.ok(await page.locator('#no-devices').isVisible());
      await page.click('button:has-text("Make a backup code")');
      const newBackupCode = (await page.locator('#backup-code').innerText()).trim();
      assert.notEqual(newBackupCode, backupCode);
      await browser.shoot(page, 'security-new-backup-code');
      await page.check('input[name=saved]');
      await page.click('main button[type=submit]');
      assert.equal(await page.locator('h1').innerText(), 'My security');

      // The revoked device is asked for a code again; the spent backup code is refused, the new one works.
      await page.click('header button:has-text("Sign out")');
      await signIn(page, origin);
      assert.equal(await page.locator('h1').innerText(), 'Enter your code', 'a revoked device is asked for a code');
      await page.fill('#code', backupCode);
      await page.click('button[type=submit]');
      assert.match(await page.locator('.notice.error').innerText(), /not right\. 4 tries left/, 'a used backup code is refused');
      await browser.shoot(page, 'code-step-wrong');
      await page.fill('#code', newBackupCode);
      await page.click('button[type=submit]');
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');

      // And a TOTP code from the app (the next step's: the enrolment spent this one).
      await page.click('header button:has-text("Sign out")');
      await signIn(page, origin);
      await page.fill('#code', totp(secret, 1));
      await page.click('button[type=submit]');
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');
      await context.close();
    });

    it('where the site does not require 2FA, an agent turns it on from My security and off again', async () => {
      const context = await browser.context();
      const page = await context.newPage();
      const origin = browser.origin(server.url);
      await signIn(page, origin, 'lin@acme.test', openSite);
      assert.equal(await page.locator('#signed-in-email').innerText(), 'lin@acme.test', 'no 2FA, no code');
      assert.equal(new URL(page.url()).pathname, '/account/security', 'signing in lands on My security');
      assert.match(await page.locator('#no-devices').innerText(), /With 2FA off/, 'no code is asked with 2FA off, and the page says so');
      assert.match(await page.locator('#events').innerText(), /Signed in/, 'the sign-in just made is in the recent activity');
      assert.equal(await page.locator('#twofactor-state').innerText(), 'off');
      await page.click('button:has-text("Turn on 2FA")');
      const uri = URI.parse(await scanQr(page));
      assert.ok(uri instanceof TOTP);
      await browser.shoot(page, 'security-enrol');
      await page.fill('#code', totp(uri.secret.base32));
      await page.click('main button[type=submit]');
      assert.ok((await page.locator('#backup-code').innerText()).trim().length >= 8);
      await page.check('input[name=saved]');
      await page.click('main button[type=submit]');
      assert.equal(await page.locator('#twofactor-state').innerText(), 'on');
      await page.click('a:has-text("Turn off 2FA")');
      await page.click('.confirm button:has-text("Turn off 2FA")');
      assert.equal(await page.locator('#twofactor-state').innerText(), 'off');
      assert.match(await page.locator('#events').innerText(), /2FA turned off/);
      await context.close();
    });
  });
}
