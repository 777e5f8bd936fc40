import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

// /docs does not touch the database beyond startup: one dialect is enough to prove the browser side.
describe('web: /docs over plain HTTP from a host that is not localhost', () => {
  let server: TestServer;
  let browser: TestBrowser;
  before(async () => {
    server = await startTestServer('sqlite');
    browser = await startBrowser('docs');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads every asset over http and renders the operations', async () => {
    const page = await (await browser.context()).newPage();
    const failed: string[] = [];
    const upgraded: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('request', (r) => {
      if (r.url().startsWith('https:')) upgraded.push(r.url());
    });
    await page.goto(`${browser.origin(server.url)}/docs`);
    const where = await page.evaluate(() => ({ host: location.hostname, secure: window.isSecureContext }));
    assert.deepEqual(where, { host: 'gatehouse.test', secure: false }, 'the browser sees a plain-HTTP, non-localhost origin');
    await page.locator('.swagger-ui .info .title').waitFor();
    assert.match(await page.locator('.swagger-ui .info .title').innerText(), /Gatehouse/);
    assert.ok((await page.locator('.opblock').count()) > 20, 'the operations are listed');
    assert.deepEqual(upgraded, [], 'no request was upgraded to https');
    assert.deepEqual(failed, []);
    await browser.shoot(page, 'docs');
  });
});
