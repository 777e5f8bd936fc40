#!/usr/bin/env node
// Runs the built CLI (dist/, made by `npm run build`, which `npm ci` runs through "prepare").
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(dist)) {
  process.stderr.write('gatehouse: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(dist);
