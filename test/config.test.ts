import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  test('defaults: port 3000, ./data, SQLite in the data folder, no Redis, outbox on in development', () => {
    const c = loadConfig({}, '/srv/app');
    assert.equal(c.port, 3000);
    assert.equal(c.dataDir, '/srv/app/data');
    assert.deepEqual(c.database, { dialect: 'sqlite', file: '/srv/app/data/gatehouse.db' });
    assert.equal(c.redis, null);
    assert.equal(c.outboxEnabled, true);
    assert.equal(c.masterKey, null);
  });

  test('GATEHOUSE_DATA_DIR moves the SQLite file; DATABASE_URL selects PostgreSQL', () => {
    assert.deepEqual(loadConfig({ GATEHOUSE_DATA_DIR: '/var/lib/gh' }).database, { dialect: 'sqlite', file: '/var/lib/gh/gatehouse.db' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/gh' }).database, { dialect: 'postgres', url: 'postgres://u@db:5432/gh' });
  });

  test('production turns the outbox off unless it is enabled', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).outboxEnabled, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', GATEHOUSE_OUTBOX: 'true' }).outboxEnabled, true);
  });

  const bad: Array<[string, string]> = [
    ['PORT', '-1'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db'],
    ['DATABASE_URL', 'sqlite:'],
    ['REDIS_URL', 'http://cache'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'verbose'],
    ['GATEHOUSE_OUTBOX', 'maybe'],
    ['GATEHOUSE_MASTER_KEY', 'not-a-key'],
    ['GATEHOUSE_JWT_TTL', '5'],
  ];
  for (const [name, value] of bad) {
    test(`${name}=${value} is refused, naming ${name}`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.startsWith(`${name}: `));
    });
  }

  test('an external JWT issuer without its public key is refused, naming the missing one', () => {
    assert.throws(() => loadConfig({ GATEHOUSE_EXTERNAL_JWT_ISSUER: 'https://idp' }), (err: unknown) => err instanceof ConfigError && err.variable === 'GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY');
  });

  test('a JSON config file supplies settings; the environment wins over it; unknown keys are refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-config-'));
    const file = path.join(dir, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ PORT: 4000, LOG_LEVEL: 'warn' }));
    const c = loadConfig({ GATEHOUSE_CONFIG: file, LOG_LEVEL: 'error' });
    assert.equal(c.port, 4000);
    assert.equal(c.logLevel, 'error');
    writeFileSync(file, JSON.stringify({ PROT: 4000 }));
    assert.throws(() => loadConfig({ GATEHOUSE_CONFIG: file }), /PROT: unknown setting/);
    assert.throws(() => loadConfig({ GATEHOUSE_CONFIG: path.join(dir, 'missing.json') }), /GATEHOUSE_CONFIG/);
  });

  test('a master key is accepted as 64 hex digits or base64 of 32 bytes', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(loadConfig({ GATEHOUSE_MASTER_KEY: hex }).masterKey?.current, Buffer.from(hex, 'hex').toString('base64'));
    const b64 = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ GATEHOUSE_MASTER_KEY: b64 }).masterKey?.current, b64);
  });
});
