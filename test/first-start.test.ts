/**
 * What a first start leaves behind and says: the bootstrap credentials in an owner-only file (never
 * in the log), an owner-only data folder and database file, a loud warning when no channel can
 * deliver; and starts that cannot go on (port taken, master key changed) say so in one line. The
 * other refusals are in start-refusals.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { warnAboutChannels } from '../src/channels/readiness.js';
import { loadConfig } from '../src/config.js';
import { handOverBootstrap } from '../src/first-start.js';
import { runCli, startServerProcess } from './helpers/process.js';
import { apiKey, call, startTestServer } from './helpers/server.js';

const mode = (file: string) => statSync(file).mode & 0o777;
const CREDENTIALS = { tenant: { id: 1, sid: `AC${'0'.repeat(32)}`, authToken: 'ght_x' }, apiKey: 'gha_secret' };

describe('a first start', () => {
  test('on a port already in use says so in one line and bootstraps nothing; the next start writes the credentials to an owner-only file', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gatehouse-first-'));
    const dataDir = path.join(root, 'data');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as { port: number }).port);
      const refused = await runCli(['serve'], { GATEHOUSE_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: port });
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim(), `gatehouse: port ${port} on 127.0.0.1 is already in use (PORT, HOST)`);
      assert.ok(!refused.stdout.includes('gha_') && !existsSync(path.join(dataDir, 'bootstrap-credentials.json')), 'no credentials made, so none lost');

      const server = await startServerProcess({ GATEHOUSE_DATA_DIR: dataDir });
      try {
        const file = path.join(dataDir, 'bootstrap-credentials.json');
        assert.ok(!server.output().includes('gha_'), 'the log (stdout) holds no credential');
        assert.match(server.errors(), new RegExp(`bootstrap credentials written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.equal(mode(file), 0o600);
        const { apiKey: key } = JSON.parse(readFileSync(file, 'utf8'));
        assert.equal((await call(`${server.url}/admin/tenants`, { headers: apiKey(key) })).status, 200);
        assert.equal(mode(dataDir), 0o700);
        assert.equal(mode(path.join(dataDir, 'gatehouse.db')), 0o600);
        assert.equal(mode(path.join(dataDir, 'master.key')), 0o600);
        // NODE_ENV=test: every channel is the development outbox, which reaches nobody.
        assert.match(server.errors(), /WARNING: NO REAL DELIVERY CHANNEL for sms → outbox, call → outbox, email → outbox/);
        assert.ok(server.output().split('\n').some((l) => l.includes('"level":40') && l.includes('NO REAL DELIVERY CHANNEL')));
      } finally {
        await server.stop();
      }
    } finally {
      taken.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('beside a file left by an earlier database writes a new file rather than overwrite or lose them', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-stale-'));
    try {
      const quiet = { write: () => true };
      const first = handOverBootstrap(CREDENTIALS, dataDir, quiet, quiet);
      const second = handOverBootstrap({ ...CREDENTIALS, apiKey: 'gha_other' }, dataDir, quiet, quiet);
      assert.notEqual(first.file, second.file);
      assert.equal(JSON.parse(readFileSync(first.file, 'utf8')).apiKey, 'gha_secret');
      assert.equal(JSON.parse(readFileSync(second.file, 'utf8')).apiKey, 'gha_other');
      assert.equal(mode(second.file), 0o600);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('in a terminal shows the credentials there and writes the same owner-only file', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-tty-'));
    try {
      let shown = '';
      let said = '';
      const file = path.join(dataDir, 'bootstrap-credentials.json');
      const where = handOverBootstrap(CREDENTIALS, dataDir, { isTTY: true, write: (t: string) => (shown += t) }, { write: (t: string) => (said += t) });
      assert.deepEqual(where, { file, onTerminal: true });
      assert.match(shown, /"apiKey": "gha_secret"/);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).apiKey, 'gha_secret', 'the README reads the key from the file after a start in a terminal too');
      assert.equal(mode(file), 0o600);
      assert.equal(said, `gatehouse: first start: bootstrap credentials written to ${file} (readable only by this user); keep them safe and delete the file\n`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('with a changed master key stops with one line and no stack trace', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-key-'));
    try {
      const env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_MASTER_KEY: randomBytes(32).toString('hex') };
      assert.equal((await runCli(['tenant', 'list'], env)).code, 0);
      const changed = await runCli(['serve'], { ...env, GATEHOUSE_MASTER_KEY: randomBytes(32).toString('hex') });
      assert.equal(changed.code, 1);
      const lines = changed.stderr.trim().split('\n');
      assert.equal(lines.length, 1, changed.stderr);
      assert.match(lines[0]!, /^gatehouse: the database holds secrets sealed with master key k[0-9a-f]{12}, which this server does not have/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('channels that cannot deliver', () => {
  test('are reported by /readyz', async () => {
    const server = await startTestServer('sqlite', { env: { GATEHOUSE_EMAIL_CHANNEL: 'none' } });
    try {
      const res = await call(`${server.url}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        status: 'ready',
        channels: { sms: { provider: 'outbox', delivers: false }, call: { provider: 'outbox', delivers: false }, email: { provider: 'none', delivers: false } },
      });
    } finally {
      await server.close();
    }
  });

  test('raise no warning once Twilio and SMTP are configured', () => {
    const config = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'token', SMTP_URL: 'smtp://u:p@127.0.0.1:2525', GATEHOUSE_DATA_DIR: tmpdir() });
    const said: string[] = [];
    warnAboutChannels(config, { warn: (_f, m) => said.push(m) }, { write: (t: string) => said.push(t) });
    assert.deepEqual(said, []);
  });
});
