/**
 * `npm start` serves the build `npm ci` made (the `prepare` script) without building again: a restart
 * answers /ping in about a second, not after a TypeScript compile.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('the build happens at install, and npm start only runs it', () => {
  assert.match(pkg.scripts.prepare, /^tsc -p tsconfig\.json$/);
  assert.equal(pkg.scripts.start, 'node dist/main.js serve');
});

test('npm start answers /ping within seconds', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-start-'));
  const started = Date.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', GATEHOUSE_DATA_DIR: dataDir },
    detached: true,
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "gatehouse listening" in 20 s:\n${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /"address":"(http:\/\/[^"]+)"[^\n]*"msg":"gatehouse listening"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    assert.equal(await (await fetch(`${url}/ping`)).text(), 'pong');
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`npm start to /ping: ${seconds.toFixed(2)} s`);
    // About a second on an idle machine; the bound leaves room for a loaded one, and is far below a compile.
    assert.ok(seconds < 10, `${seconds} s`);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {}
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
