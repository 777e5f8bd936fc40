import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createSealer } from '../../../src/core/secrets/envelope.js';
import { keyFilePath, keyringFromEnv, keyringFromFile } from '../../../src/core/secrets/keyring.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'gatehouse-keys-'));

describe('sealed secrets', () => {
  test('a sealed secret opens with its context and names its key, and its text is not in the envelope', () => {
    const sealer = createSealer(keyringFromFile(dir()));
    const envelope = sealer.seal('JBSWY3DPEHPK3PXP', 'totp:1');
    assert.match(envelope, /^gh1:k[0-9a-f]{12}:[\w-]+:[\w-]+:[\w-]+$/);
    assert.equal(sealer.kidOf(envelope), sealer.currentKid());
    assert.ok(!envelope.includes('JBSWY3DPEHPK3PXP'));
    assert.equal(sealer.open(envelope, 'totp:1'), 'JBSWY3DPEHPK3PXP');
  });

  test('the same secret sealed twice gives different envelopes', () => {
    const sealer = createSealer(keyringFromFile(dir()));
    assert.notEqual(sealer.seal('same', 'c'), sealer.seal('same', 'c'));
  });

  test('an envelope moved to another row, or altered, does not open', () => {
    const sealer = createSealer(keyringFromFile(dir()));
    const envelope = sealer.seal('secret', 'totp:1');
    assert.throws(() => sealer.open(envelope, 'totp:2'));
    const parts = envelope.split(':');
    parts[3] = Buffer.from('tampered').toString('base64url');
    assert.throws(() => sealer.open(parts.join(':'), 'totp:1'));
  });

  test('the key file is created once, readable by its owner only', () => {
    const d = dir();
    const first = keyringFromFile(d);
    const second = keyringFromFile(d);
    assert.equal(first.currentKid(), second.currentKid());
    assert.equal(statSync(keyFilePath(d)).mode & 0o777, 0o600);
  });

  test('after a rotation new envelopes use the new key and old ones still open, also in another process\'s keyring', () => {
    const d = dir();
    const server = createSealer(keyringFromFile(d));
    const old = server.seal('secret', 'c');
    const cli = keyringFromFile(d);
    const newKid = cli.addKey();
    assert.notEqual(newKid, server.kidOf(old));
    const rotated = createSealer(cli).seal('secret', 'c');
    assert.equal(server.open(rotated, 'c'), 'secret', 'the running server learns the new key from the file');
    assert.equal(createSealer(cli).open(old, 'c'), 'secret');
    assert.equal(JSON.parse(readFileSync(keyFilePath(d), 'utf8')).keys.length, 2);
    assert.equal(statSync(keyFilePath(d)).mode & 0o777, 0o600);
  });

  test('a key from the environment seals; previous keys still open', () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const before = createSealer(keyringFromEnv(oldKey, []));
    const envelope = before.seal('secret', 'c');
    const after = createSealer(keyringFromEnv(newKey, [oldKey]));
    assert.equal(after.open(envelope, 'c'), 'secret');
    assert.notEqual(after.kidOf(after.seal('x', 'c')), before.kidOf(envelope));
    assert.throws(() => createSealer(keyringFromEnv(newKey, [])).open(envelope, 'c'), /which this server does not have/);
  });
});
