/**
 * Debian's chromium driven by playwright-core, for the pages' end-to-end tests. The browser resolves
 * `gatehouse.test` to the server's loopback address, so every page is opened from a host that is not
 * localhost: plain HTTP there is not a secure context, as for a real deployment opened by name
 * (cookies without Secure, mixed-content upgrades and all). Screenshots of each page at a phone's
 * and a desktop's width go under one folder per run, printed at the start.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PAGE_HOST = 'gatehouse.test';

export const SCREENSHOTS = process.env.GATEHOUSE_SCREENSHOTS ?? path.join(tmpdir(), `gatehouse-screenshots-${new Date().toISOString().replace(/[:.]/g, '-')}`);

export interface TestBrowser {
  browser: Browser;
  /** A fresh browser profile (its own cookies). */
  context(): Promise<BrowserContext>;
  /** http://gatehouse.test:<port of serverUrl> */
  origin(serverUrl: string): string;
  /** Saves the page at 375 px and at 1280 px wide. */
  shoot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

let announced = false;

export async function startBrowser(label: string): Promise<TestBrowser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!announced) {
    announced = true;
    process.stdout.write(`# screenshots: ${SCREENSHOTS}\n`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for chromium's sandbox.
    args: ['--no-sandbox', `--host-resolver-rules=MAP ${PAGE_HOST} 127.0.0.1`],
  });
  return {
    browser,
    async context() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      // A missing element fails in seconds, not after Playwright's default 30 s.
      context.setDefaultTimeout(10_000);
      return context;
    },
    origin: (serverUrl) => `http://${PAGE_HOST}:${new URL(serverUrl).port}`,
    async shoot(page, name) {
      for (const width of [375, 1280]) {
        await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
        await capture(page, path.join(SCREENSHOTS, `${label}-${name}-${width}.png`));
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    },
    close: () => browser.close(),
  };
}

/**
 * Headless chromium now and then answers "Unable to capture screenshot" for a page that is not the
 * front one or whose compositor frame is not ready yet (a CI run failed on it, just after a resize, with
 * two browser profiles open). The page is brought to the front and asked again, twice at most; a
 * third refusal fails the test, and any other error at once.
 */
async function capture(page: Page, file: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path: file, fullPage: true });
      return;
    } catch (error) {
      if (attempt === 3 || !/Unable to capture screenshot/.test(String(error))) throw error;
      await page.bringToFront();
      await page.waitForTimeout(100 * attempt);
    }
  }
}
