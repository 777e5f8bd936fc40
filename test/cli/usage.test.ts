/**
 * The command line's usage, as a real process: each missing or malformed required option is refused
 * with exit 2 and one line, before the configuration is read or a database opened; --version, help
 * and totp.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/process.js';

/** Runs at most `size` of the functions given at a time. */
function pool(size: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

describe('the command line\'s usage', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-usage-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { GATEHOUSE_DATA_DIR: dataDir };

  const refusals: Array<[string[], RegExp]> = [
    [['tenant', 'create'], /^gatehouse: tenant create needs --name N/],
    [['tenant', 'update', '--tenant', '1'], /^gatehouse: tenant update needs --email E/],
    [['tenant', 'update', '--email', 'x@example.com'], /^gatehouse: tenant update needs --tenant ID\|SID/],
    [['tenant', 'delete'], /^gatehouse: tenant delete needs --tenant/],
    [['tenant', 'delete', '--tenant', 'acme'], /--tenant must be a tenant id or SID/],
    [['account', 'get'], /^gatehouse: account get needs --id N/],
    [['account', 'get', '--id', 'x'], /--id must be a whole number/],
    [['account', 'create', '--tenant', '3', '--email', 'x@example.com'], /^gatehouse: account create needs --password P/],
    [['account', 'create', '--email', 'x@example.com', '--password', 'a long password'], /^gatehouse: account create needs --tenant/],
    [['account', 'create', '--tenant', '3', '--password', 'a long password'], /^gatehouse: account create needs --email or --username/],
    [['account', 'create', '--tenant', '3', '--email', 'x@example.com', '--password', 'a long password', '--role', 'boss'], /--role must be one of/],
    [['account', 'update'], /^gatehouse: account update needs --id N/],
    [['account', 'update', '--id', '1'], /^gatehouse: account update needs --blocked or --activated/],
    [['account', 'update', '--id', '1', '--blocked', 'yes'], /--blocked must be one of true, false/],
    [['account', 'delete'], /^gatehouse: account delete needs --id N/],
    [['account', 'reset-password', '--id', '1'], /^gatehouse: account reset-password needs --password P/],
    [['account', 'reset-password', '--password', 'a long password'], /^gatehouse: account reset-password needs --id N/],
    [['account', 'unlock'], /^gatehouse: account unlock needs --id N/],
    [['apikey', 'revoke'], /^gatehouse: apikey revoke needs one of --id N or --account N/],
    [['apikey', 'revoke', '--id', '1', '--account', '2'], /^gatehouse: apikey revoke needs one of/],
    [['apikey', 'list', '--account', '0'], /--account must be a whole number/],
    [['token', 'revoke'], /^gatehouse: token revoke needs one of --id N or --tenant ID\|SID/],
    [['backup'], /^gatehouse: backup needs --to FILE/],
    [['totp'], /^gatehouse: totp needs --secret BASE32/],
    [['tenant', 'list', '--nope'], /^gatehouse: tenant list: Unknown option '--nope'/],
  ];
  // Started at once, four processes at a time: each start of the CLI costs a second or two of CPU under tsx.
  const limit = pool(4);
  const runs = new Map(refusals.map(([args]) => [args.join(' '), limit(() => runCli(args, env))]));
  for (const [args, message] of refusals) {
    test(`${args.join(' ')} → exit 2, one line`, async () => {
      const res = await runs.get(args.join(' '))!;
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trimEnd().split('\n').length, 1, res.stderr);
    });
  }

  test('a usage refusal reads no configuration and opens no database', () => {
    assert.ok(!existsSync(path.join(dataDir, 'gatehouse.db')));
  });

  test('--version prints the package version; help lists every command', async () => {
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    const res = await runCli(['--version'], env);
    assert.equal(res.code, 0);
    assert.equal(res.stdout, `${version}\n`);
    const help = await runCli(['help'], env);
    for (const name of ['account list', 'account reset-password', 'apikey revoke', 'token list', 'tenant delete', 'backup --to FILE', '--version']) {
      assert.ok(help.stdout.includes(name), name);
    }
  });

  test('totp prints the code of a secret', async () => {
    const res = await runCli(['totp', '--secret', 'JBSWY3DPEHPK3PXP'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\d{6}\n$/);
  });
});

