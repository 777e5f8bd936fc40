import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SETTINGS } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README documents every setting the server reads', () => {
  const table = readme.slice(readme.indexOf('## Configuration'));
  const missing = SETTINGS.map(([name]) => name).filter((name) => !table.includes(`| \`${name}\``));
  assert.deepEqual(missing, []);
});

test('the README opens with the two quick-start commands', () => {
  const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## What is inside'));
  assert.match(quick, /npm ci && npm start/);
  assert.match(quick, /npm test/);
});
