/**
 * Takes docs/console.png, the README's screenshot: a fresh server on SQLite, the console opened with the
 * bootstrap admin key in Debian's chromium, a partner and a site made through its forms, the tree
 * shown. Run with `node --import tsx scripts/console-screenshot.ts` after a change to the console's look.
 */
import { fileURLToPath } from 'node:url';
import { startBrowser } from '../test/helpers/browser.js';
import { startTestServer } from '../test/helpers/server.js';

const out = fileURLToPath(new URL('../docs/console.png', import.meta.url));
const server = await startTestServer('sqlite');
const browser = await startBrowser('readme');
try {
  const page = await (await browser.context()).newPage();
  const origin = browser.origin(server.url);
  await page.goto(`${origin}/console`);
  await page.fill('#apiKey', server.admin.apiKey);
  await page.click('button[type=submit]');
  await page.fill('#tenant-name', 'Tour Ltd');
  await page.click('button:has-text("Create")');
  const partnerId = (await page.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]!;
  await page.fill('#tenant-name', 'Tour Ltd EU');
  await page.selectOption('#tenant-parent', partnerId);
  await page.click('button:has-text("Create")');
  await page.goto(`${origin}/console`);
  await page.setViewportSize({ width: 1100, height: 640 });
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} finally {
  await browser.close();
  await server.close();
}
