import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { SETTINGS } from '../src/config.js';
import { DOC_PAGES, shBlocks } from './helpers/doc-pages.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const readme = read('README.md');

test('docs/operations.md documents every setting the server reads', () => {
  const operations = read('docs/operations.md');
  const table = operations.slice(operations.indexOf('## Settings'));
  const missing = SETTINGS.map(([name]) => name).filter((name) => !table.includes(`| \`${name}\``));
  assert.deepEqual(missing, []);
});

test('the README is a front page: at most 15 KB, the two commands first, the console screenshot, a link to every page', () => {
  assert.ok(statSync(new URL('../README.md', import.meta.url)).size <= 15 * 1024, 'README.md stays under 15 KB');
  const commands = readme.slice(readme.indexOf('## Two commands'), readme.indexOf('## A five-minute tour'));
  assert.match(commands, /npm ci && npm start/);
  assert.match(commands, /npm test/);
  assert.match(readme, /!\[[^\]]+\]\(docs\/console\.png\)/);
  assert.ok(existsSync(new URL('../docs/console.png', import.meta.url)));
  for (const page of DOC_PAGES.slice(1)) {
    assert.ok(readme.includes(`](${page})`), `the README links to ${page}`);
    assert.ok(existsSync(new URL(`../${page}`, import.meta.url)), `${page} exists`);
  }
});

test('every command block addresses the server as $GATEHOUSE and opens no browser', () => {
  for (const page of DOC_PAGES) {
    for (const block of shBlocks(read(page))) {
      assert.doesNotMatch(block.text.replaceAll('${GATEHOUSE:-http://localhost:3000}', ''), /localhost:3000/, `${page} line ${block.line}: use $GATEHOUSE, not localhost:3000`);
      assert.doesNotMatch(block.text, /xdg-open|\bopen http/, `${page} line ${block.line}: a server has no browser to open`);
    }
  }
});

test('links between the pages point at files that exist', () => {
  for (const page of DOC_PAGES) {
    for (const [, target] of read(page).matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)) {
      assert.ok(existsSync(new URL(target!, new URL(`../${page}`, import.meta.url))), `${page} links to ${target}, which is missing`);
    }
  }
});
