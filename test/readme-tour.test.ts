/**
 * The README's five-minute tour, its browser steps in Chromium as a newcomer follows them: a fresh
 * `serve` on the embedded SQLite (what `npm start` gives), the key read from the credentials file,
 * the console opened with it, a partner and a site made there, the site set to require 2FA, an agent
 * created; then /login as that agent, enrolment from the secret on the page, the backup code saved,
 * signed in, and My security. (The tour's curl steps are run by readme-commands.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { type TestBrowser, startBrowser } from './helpers/browser.js';
import { type ServerProcess, bootstrapCredentials, startServerProcess } from './helpers/process.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const TOUR = README.slice(README.indexOf('## A five-minute tour'), README.indexOf('## Documentation'));
const EMAIL = 'ada@tour.test';
const PASSWORD = 'correct horse';

let root: string;
let server: ServerProcess;
let browser: TestBrowser;
before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'gatehouse-tour-'));
  server = await startServerProcess({ GATEHOUSE_DATA_DIR: path.join(root, 'data') });
  browser = await startBrowser('tour');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the tour names what this test does', () => {
  for (const step of ['/console', '/login', '/account/security', 'data/bootstrap-credentials.json', EMAIL, `\`${PASSWORD}\``, 'every sign-in', 'QR code', 'backup code']) {
    assert.ok(TOUR.includes(step), `the tour mentions ${step}`);
  }
});

test('console with the key, a site and an agent, then /login and enrolment', async () => {
  const origin = browser.origin(server.url);
  const { apiKey } = bootstrapCredentials(path.join(root, 'data'));

  // 2. Open the console and paste the key.
  const ops = await (await browser.context()).newPage();
  await ops.goto(`${origin}/console`);
  await ops.fill('#apiKey', apiKey);
  await ops.click('button[type=submit]');
  assert.match(await ops.locator('.tree').innerText(), /bootstrap/);

  // 3. A partner, a site under it, the site's 2FA requirement, an agent.
  await ops.fill('#tenant-name', 'Tour Ltd');
  await ops.click('button:has-text("Create")');
  const partnerId = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);
  await ops.fill('#tenant-name', 'Tour Ltd EU');
  await ops.selectOption('#tenant-parent', String(partnerId));
  await ops.click('button:has-text("Create")');
  const siteId = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);
  await ops.click('#created-tenant a');
  await ops.selectOption('#requirement-select', '0');
  await ops.click('button:has-text("Save")');
  assert.match(await ops.locator('#requirement').innerText(), /every sign-in/);
  await ops.fill('#account-email', EMAIL);
  await ops.fill('#account-password', PASSWORD);
  await ops.click('main form[action$="/accounts"] button');
  assert.match(await ops.locator('.notice.ok').innerText(), new RegExp(`Created ${EMAIL}`));

  // 4. Sign in at /login in another browser and enrol.
  const agent = await (await browser.context()).newPage();
  await agent.goto(`${origin}/login`);
  await agent.fill('#email', EMAIL);
  await agent.fill('#password', PASSWORD);
  await agent.fill('#partnerId', String(partnerId));
  await agent.fill('#siteId', String(siteId));
  await agent.click('button[type=submit]');
  assert.equal(await agent.locator('h1').innerText(), 'Set up two-factor authentication');
  assert.ok(await agent.locator('img#qr').isVisible(), 'a QR code to scan');
  const secret = (await agent.locator('#secret').innerText()).replace(/\s/g, '');
  await agent.fill('#code', new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate());
  await agent.click('button[type=submit]');
  assert.equal(await agent.locator('h1').innerText(), 'Save your backup code');
  await agent.check('input[name=saved]');
  await agent.click('button[type=submit]');
  assert.equal(await agent.locator('#signed-in-email').innerText(), EMAIL);
  await agent.goto(`${origin}/account/security`);
  assert.match(await agent.locator('main').innerText(), /Trusted devices/i);
});
