/**
 * The package as a user installs it: `npm pack`, installed into an empty folder, runs
 * `npx gatehouse serve`, which answers /ping and writes its first-start credentials there.
 *
 * better-sqlite3 has no prebuilt binary reachable here (GitHub is not), and compiling it takes minutes
 * on a shared machine; its installer, prebuild-install, takes a "local prebuild" instead, so the test
 * hands it the binary this checkout already built for the same Node. Everything else is installed from
 * npm (through its cache when warm) exactly as a user's install would.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('npm pack, installed into an empty folder, runs npx gatehouse serve and answers /ping', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(path.join(ROOT, 'dist/main.js')), 'dist/ is built (npm ci runs the build)');
  const work = mkdtempSync(path.join(tmpdir(), 'gatehouse-pack-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...(process.env.npm_config_cache && { npm_config_cache: process.env.npm_config_cache }),
  };
  try {
    // The build is the checkout's (made by npm ci's prepare); --ignore-scripts does not compile again.
    const packed = await runToEnd('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env });
    assert.equal(packed.code, 0, packed.stderr);
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    for (const needed of ['bin/gatehouse.mjs', 'dist/main.js', 'LICENSE', 'README.md', 'deploy/compose.yaml']) assert.ok(paths.includes(needed), `the package holds ${needed}`);
    assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('data/')), 'no sources, tests or data');

    const sqlite = createRequire(path.join(ROOT, 'package.json'))('better-sqlite3/package.json') as { version: string };
    const prebuilds = path.join(work, 'prebuilds');
    mkdirSync(prebuilds);
    const binary = `better-sqlite3-v${sqlite.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    const tarred = await runToEnd('tar', ['czf', path.join(prebuilds, binary), '-C', path.join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], { cwd: ROOT, env });
    assert.equal(tarred.code, 0, tarred.stderr);

    const app = path.join(work, 'app');
    mkdirSync(app);
    const installed = await runToEnd('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, filename)], {
      cwd: app,
      env: { ...env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
    });
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(!existsSync(path.join(app, 'node_modules/typescript')), 'a user install has no development dependencies');

    const child = spawn('npx', ['gatehouse', 'serve'], { cwd: app, env: { ...env, HOST: '127.0.0.1', PORT: '0' }, detached: true });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "gatehouse listening" in 30 s:\n${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /"address":"(http:\/\/[^"]+)"[^\n]*"msg":"gatehouse listening"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`npx gatehouse serve exited with ${code}:\n${out}`)));
      });
      assert.equal(await (await fetch(`${url}/ping`)).text(), 'pong');
      assert.match(JSON.parse(readFileSync(path.join(app, 'data/bootstrap-credentials.json'), 'utf8')).apiKey, /^gha_/);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {}
      if (child.exitCode === null) await once(child, 'exit');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  assert.deepEqual(readdirSync(tmpdir()).filter((f) => f === path.basename(work)), []);
});
