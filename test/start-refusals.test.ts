/**
 * A start that cannot go on says why in one line on stderr and exits non-zero, before anything is
 * bootstrapped: a PostgreSQL database that does not exist (naming the createdb command), Redis that
 * cannot be reached, a data folder this user cannot write, and production with no channel that
 * delivers to a person (unless GATEHOUSE_OUTBOX=true says the outbox is intended).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/process.js';
import { PG_ADMIN_URL, skipUnless } from './helpers/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The one line on stderr, or a failure showing everything that was printed. */
function oneLine(result: { stderr: string; stdout: string }): string {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const skipPostgres = await skipUnless({ postgres: true });

describe('a start that cannot go on', () => {
  test('names the createdb command when the PostgreSQL database does not exist', { skip: skipPostgres }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-nodb-'));
    try {
      const url = new URL(PG_ADMIN_URL);
      const name = `gh_missing_${randomBytes(4).toString('hex')}`;
      url.pathname = `/${name}`;
      const result = await runCli(['serve'], { DATABASE_URL: url.href, GATEHOUSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      assert.equal(result.code, 1);
      const port = url.port || '5432';
      assert.equal(
        oneLine(result),
        `gatehouse: PostgreSQL database "${name}" does not exist on ${url.hostname}:${port}; create it with: createdb -h ${url.hostname} -p ${port} -U ${url.username} ${name}`,
      );
      assert.ok(!existsSync(path.join(dataDir, 'bootstrap-credentials.json')));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('says PostgreSQL cannot be reached, and which setting points at it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-nopg-'));
    try {
      const port = await closedPort();
      const result = await runCli(['migrate'], { DATABASE_URL: `postgres://gatehouse:secret-password@127.0.0.1:${port}/gatehouse`, GATEHOUSE_DATA_DIR: dataDir });
      assert.equal(result.code, 1);
      const line = oneLine(result);
      assert.match(line, new RegExp(`^gatehouse: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\): .*ECONNREFUSED`));
      assert.doesNotMatch(line, /secret-password/, 'the URL (and its password) is not printed');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('says Redis cannot be reached, and exits rather than retry forever', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-noredis-'));
    try {
      const port = await closedPort();
      const result = await runCli(['serve'], { REDIS_URL: `redis://127.0.0.1:${port}`, GATEHOUSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      assert.equal(result.code, 1);
      assert.match(oneLine(result), new RegExp(`^gatehouse: cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): .*ECONNREFUSED`));
      assert.ok(!existsSync(path.join(dataDir, 'bootstrap-credentials.json')));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('says the data folder is not writable', async () => {
    // A folder without write permission; root ignores permissions, so as root the server runs as nobody.
    const root = mkdtempSync(path.join(tmpdir(), 'gatehouse-ro-'));
    chmodSync(root, 0o555);
    const dataDir = path.join(root, 'data');
    try {
      const asRoot = process.getuid?.() === 0;
      const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js'), 'serve'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: '/tmp', NODE_ENV: 'test', GATEHOUSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
        ...(asRoot && { uid: 65534, gid: 65534 }),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(oneLine({ stdout, stderr }), new RegExp(`^gatehouse: the data folder ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable by this user \\(GATEHOUSE_DATA_DIR\\): .*EACCES`));
    } finally {
      chmodSync(root, 0o755);
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('refuses production with no channel that delivers, unless GATEHOUSE_OUTBOX=true says the outbox is intended', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-prod-'));
    try {
      const env = { NODE_ENV: 'production', GATEHOUSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
      const refused = await runCli(['serve'], env);
      assert.equal(refused.code, 1);
      assert.equal(
        oneLine(refused),
        'gatehouse: NODE_ENV=production but no real delivery channel is configured (sms → none, call → none, email → none); configure TWILIO_* or SMTP_URL, or set GATEHOUSE_OUTBOX=true if the development outbox is intended',
      );
      assert.ok(!existsSync(path.join(dataDir, 'gatehouse.db')), 'refused before opening anything');

      // With the outbox intended, the same start serves (and warns).
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, GATEHOUSE_OUTBOX: 'true' } });
      try {
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`did not start:\n${out}`)), 30_000);
          child.stdout.on('data', () => out.includes('gatehouse listening') && (clearTimeout(timer), resolve()));
          child.once('exit', (c) => reject(new Error(`exited with ${c}:\n${out}`)));
        });
      } finally {
        child.kill('SIGTERM');
        if (child.exitCode === null) await once(child, 'exit');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
