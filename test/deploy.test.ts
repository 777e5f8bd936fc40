/**
 * The deployment kit in deploy/, checked as far as this machine allows (it runs no container daemon
 * and no systemd): .env.example is the settings table; compose.yaml parses, passes only known
 * settings and requires its secrets; the Dockerfile installs and starts with the commands the tests
 * run, as a non-root user, with a health check; the systemd unit passes systemd-analyze verify.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SETTINGS } from '../src/config.js';
import { COMPOSE_VARIABLES, envExample } from '../scripts/env-example.js';
import { runToEnd } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const SETTING_NAMES = new Set(SETTINGS.map(([name]) => name));
const START = JSON.parse(read('package.json')).scripts.start as string;

test('deploy/.env.example lists every setting with its default and meaning, as scripts/env-example.ts makes it', () => {
  assert.equal(read('deploy/.env.example'), envExample(), 'regenerate: node --import tsx scripts/env-example.ts > deploy/.env.example');
  for (const [name, fallback, meaning] of SETTINGS) {
    assert.match(read('deploy/.env.example'), new RegExp(`^#?${name}=`, 'm'), name);
    assert.ok(read('deploy/.env.example').includes(meaning), `${name}'s meaning`);
    assert.ok(read('deploy/.env.example').includes(`(default: ${fallback})`), `${name}'s default`);
  }
});

test('compose.yaml parses, runs Gatehouse with PostgreSQL and Redis, and names only known settings', () => {
  const text = read('deploy/compose.yaml');
  const compose = parse(text);
  assert.deepEqual(Object.keys(compose.services).sort(), ['gatehouse', 'postgres', 'redis']);
  const gatehouse = compose.services.gatehouse;
  for (const name of Object.keys(gatehouse.environment)) assert.ok(SETTING_NAMES.has(name), `${name} is not a Gatehouse setting`);
  const known = new Set([...SETTING_NAMES, ...COMPOSE_VARIABLES.map(([name]) => name)]);
  const variables = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+][^}]*)?\}/g)];
  assert.ok(variables.length > 0);
  for (const [, name] of variables) assert.ok(known.has(name!), `\${${name}} is neither a setting nor in COMPOSE_VARIABLES`);
  // The secrets have no default: compose refuses to start without them.
  for (const secret of ['GATEHOUSE_MASTER_KEY', 'POSTGRES_PASSWORD']) {
    assert.ok(variables.some(([, name, how]) => name === secret && how?.startsWith(':?')), `\${${secret}:?…}`);
    assert.ok(!variables.some(([, name, how]) => name === secret && !how?.startsWith(':?')), `${secret} is always required`);
  }
  assert.match(gatehouse.environment.DATABASE_URL, /^postgres:\/\/gatehouse:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/gatehouse$/);
  assert.equal(gatehouse.environment.REDIS_URL, 'redis://redis:6379');
  assert.equal(gatehouse.environment.NODE_ENV, 'production');
  assert.equal(gatehouse.read_only, true);
  assert.equal(gatehouse.depends_on.postgres.condition, 'service_healthy');
  assert.ok(existsSync(path.join(ROOT, 'deploy', gatehouse.build.context, gatehouse.build.dockerfile)));
  assert.ok(gatehouse.volumes.some((v: string) => v.endsWith(':/data')), 'the data folder is a volume');
});

test('the Dockerfile builds in one stage and runs the build as a non-root user from a second, with npm start\'s command and a health check', () => {
  const lines = read('deploy/Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const stages = lines.filter((l) => l.startsWith('FROM '));
  assert.ok(stages.length >= 2, 'multi-stage');
  const final = lines.slice(lines.lastIndexOf(stages.at(-1)!));
  const user = final.filter((l) => l.startsWith('USER ')).at(-1);
  assert.ok(user && !/^USER (root|0)(:|$)/.test(user), `runs as ${user}`);
  assert.ok(final.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/healthz')));
  assert.ok(lines.some((l) => /^RUN npm ci( |$)/.test(l)), 'installs (and builds) with npm ci, as the README and CI do');
  const cmd = final.find((l) => l.startsWith('CMD '))!;
  assert.equal((JSON.parse(cmd.slice(4)) as string[]).join(' '), START, 'starts with the command npm start runs');
  assert.ok(final.some((l) => /^ENV .*GATEHOUSE_DATA_DIR=\/data/.test(l)) && final.some((l) => l === 'VOLUME /data'), 'writes only to the /data volume');
  // What the build stage copies exists, and the ignore file lets it through.
  const ignore = read('deploy/Dockerfile.dockerignore');
  for (const l of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
    for (const source of l.split(/\s+/).slice(1, -1)) {
      assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`);
      assert.ok(ignore.includes(`!${source}`), `${source} is not ignored`);
    }
  }
});

test('the systemd unit passes systemd-analyze verify and starts what npm start starts', async () => {
  const unit = path.join(ROOT, 'deploy/gatehouse.service');
  const result = await runToEnd('systemd-analyze', ['verify', unit], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'no warning either');
  const execStart = /^ExecStart=(.*)$/m.exec(read('deploy/gatehouse.service'))![1]!;
  assert.equal(execStart, START.replace(/^node dist\//, '/usr/bin/node /opt/gatehouse/dist/'));
  for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'DynamicUser=yes', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service']) {
    assert.match(read('deploy/gatehouse.service'), new RegExp(`^${option}$`, 'm'), option);
  }
});
