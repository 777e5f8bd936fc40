/**
 * What the package promises a user installing it: a licence, the Node lines it supports, and an
 * install on them without an engine warning (cookie@2, required by @fastify/cookie, wants Node 22:
 * package.json overrides it with cookie 1.1, which has the same parseCookie/stringifySetCookie).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import semver from 'semver';
import { runToEnd } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('the licence is MIT, in package.json and in LICENSE', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n/);
  assert.ok(existsSync(path.join(ROOT, 'CHANGELOG.md')));
});

test('engines lists the supported Node lines, 20, 22 and 24', () => {
  assert.equal(pkg.engines.node, '^20.19 || ^22 || ^24');
});

test('every locked package admits each supported line (20.19, 22, 24)', () => {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
  for (const node of ['20.19.0', '22.0.0', '24.0.0']) {
    const refused = Object.entries(lock.packages)
      .filter(([name, p]) => name && p.engines?.node && !semver.satisfies(node, p.engines.node))
      .map(([name, p]) => `${name} (${p.engines!.node})`);
    assert.deepEqual(refused, [], `Node ${node}`);
  }
});

test('npm ci on this Node warns about no engine', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-ci-'));
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, file), path.join(dir, file));
    // A dry run resolves the lockfile and checks every package's engines without downloading anything.
    const result = await runToEnd('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', npm_config_cache: path.join(dir, '.npm') },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(`${result.stdout}${result.stderr}`, /EBADENGINE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('@fastify/cookie works with the cookie 1.1 it is given: parses, sets and signs', async () => {
  const app = Fastify();
  await app.register(cookie, { secret: 'a secret of enough length' });
  app.get('/', async (req, reply) => {
    reply.setCookie('seen', `${req.cookies.visit ?? 'none'}`, { httpOnly: true, path: '/' });
    reply.setCookie('signed', 'v', { signed: true });
    return { visit: req.cookies.visit, unsigned: req.unsignCookie(req.cookies.s ?? '').valid };
  });
  const res = await app.inject({ url: '/', headers: { cookie: `visit=a%20b; s=${app.signCookie('x')}` } });
  assert.deepEqual(res.json(), { visit: 'a b', unsigned: true });
  const set = res.headers['set-cookie'] as string[];
  assert.equal(set[0], 'seen=a%20b; Path=/; HttpOnly; SameSite=Lax');
  assert.match(set[1]!, /^signed=v\.[\w%-]+; SameSite=Lax$/);
  await app.close();
});
