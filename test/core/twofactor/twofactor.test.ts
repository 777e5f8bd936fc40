import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Core } from '../../../src/core/core.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { base32Decode } from '../../../src/core/totp/base32.js';
import { hotp, timeStep } from '../../../src/core/totp/otp.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

const codeAt = (secret: string, step: number) => hotp(base32Decode(secret)!, step);
const currentStep = () => timeStep(Date.now());

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (err) => err instanceof GatehouseError && err.code === code);

for (const dialect of DIALECTS) {
  describe(`core.twoFactor on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let core: Core;
    let siteId: number;
    let n = 0;
    const newAgent = async () => (await core.accounts.create(null, { tenant: siteId, email: `agent${++n}@site.example`, role: 'agent' })).id;

    before(async () => {
      server = await startTestServer(dialect);
      core = server.runtime.core;
      siteId = (await core.tenants.create(null, { name: 'Site' })).tenant.id;
    });
    after(() => server.close());

    test('saveConfig stores nothing for a wrong code, then stores once and answers "secretKey have exited"', async () => {
      const agent = await newAgent();
      const { secretKey } = await core.twoFactor.newSecretFor(agent);
      const wrong = String((Number(codeAt(secretKey, currentStep())) + 1) % 1e6).padStart(6, '0');
      await rejectsWith(core.twoFactor.saveConfig(agent, secretKey, wrong), 'code_verify_failed');
      assert.equal(await core.twoFactor.getConfig(agent), undefined);
      const config = await core.twoFactor.saveConfig(agent, secretKey.toLowerCase(), codeAt(secretKey, currentStep()));
      assert.equal(config.accountId, agent);
      assert.deepEqual(await core.twoFactor.getConfig(agent), config);
      const other = core.twoFactor.createSecret('Site', 'x').secretKey;
      await assert.rejects(core.twoFactor.saveConfig(agent, other, codeAt(other, currentStep())), (err: GatehouseError) => err.code === 'secret_key_exists' && err.message === 'secretKey have exited');
      await rejectsWith(core.twoFactor.saveConfig(agent, 'not base32!', '123456'), 'validation');
    });

    test('the secret is sealed at rest: the column holds neither the base32 secret nor its bytes', async () => {
      const agent = await newAgent();
      const { secretKey } = await core.twoFactor.newSecretFor(agent);
      await core.twoFactor.saveConfig(agent, secretKey, codeAt(secretKey, currentStep()));
      const row = await server.runtime.storage.db.selectFrom('twofactor_configs').select('secret').where('account_id', '=', agent).executeTakeFirstOrThrow();
      assert.match(row.secret, /^gh1:/);
      assert.ok(!row.secret.includes(secretKey));
      assert.ok(!row.secret.toUpperCase().includes(secretKey.slice(0, 16)));
      assert.equal(core.deps.sealer.open(row.secret, `totp:${agent}`), secretKey);
      assert.throws(() => core.deps.sealer.open(row.secret, `totp:${agent + 1}`));
    });

    test('verifyTotp accepts each step once and never a step older than the last accepted one', async () => {
      const agent = await newAgent();
      assert.equal(await core.twoFactor.verifyTotp(agent, '123456'), 'no_config');
      const { secretKey } = await core.twoFactor.newSecretFor(agent);
      const s = currentStep();
      await core.twoFactor.saveConfig(agent, secretKey, codeAt(secretKey, s - 1));
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s - 1)), 'replayed', 'the setup code logs in no one');
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s)), 'ok');
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s)), 'replayed');
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s + 1)), 'ok');
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s)), 'replayed', 'an older step after a newer one');
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s + 3)), 'invalid');
      assert.equal(await core.twoFactor.verifyTotp(agent, 'abcdef'), 'invalid');
    });

    test('updating to the same secret spends its code like a login; a new secret\'s code is its own', async () => {
      const agent = await newAgent();
      const { secretKey } = await core.twoFactor.newSecretFor(agent);
      const s = currentStep();
      await core.twoFactor.saveConfig(agent, secretKey, codeAt(secretKey, s));
      const admin = { tenantId: 0, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin' as const, via: 'api_key' as const };
      await rejectsWith(core.twoFactor.manage.updateConfig(admin, agent, 'agent', secretKey, codeAt(secretKey, s)), 'code_verify_failed');
      await core.twoFactor.manage.updateConfig(admin, agent, 'agent', secretKey, codeAt(secretKey, s + 1));
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, s + 1)), 'replayed');
      const fresh = core.twoFactor.createSecret('Site', 'x').secretKey;
      await core.twoFactor.manage.updateConfig(admin, agent, 'agent', fresh, codeAt(fresh, s));
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(fresh, s)), 'replayed', 'no step older than the last accepted one');
    });

    test('of many concurrent uses of one code exactly one is accepted', async () => {
      const agent = await newAgent();
      const { secretKey } = await core.twoFactor.newSecretFor(agent);
      const s = currentStep();
      await core.twoFactor.saveConfig(agent, secretKey, codeAt(secretKey, s - 1));
      const results = await Promise.all(Array.from({ length: 12 }, () => core.twoFactor.verifyTotp(agent, codeAt(secretKey, s))));
      assert.equal(results.filter((r) => r === 'ok').length, 1);
      assert.equal(results.filter((r) => r === 'replayed').length, 11);
    });

    test('a backup code is unambiguous, stored hashed, works once, and a new one replaces it', async () => {
      const agent = await newAgent();
      const first = await core.twoFactor.generateBackupCode(agent);
      assert.match(first, /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$/);
      const rows = await server.runtime.storage.db.selectFrom('twofactor_backup_codes').selectAll().where('account_id', '=', agent).execute();
      assert.equal(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(first));
      const second = await core.twoFactor.generateBackupCode(agent);
      assert.equal(await core.twoFactor.useBackupCode(agent, first), false, 'the replaced code');
      assert.equal(await core.twoFactor.useBackupCode(agent, 'NOTACODE2345'), false);
      assert.equal(await core.twoFactor.useBackupCode(agent, second.toLowerCase()), true);
      assert.equal(await core.twoFactor.useBackupCode(agent, second), false, 'spent');
    });

    test('of concurrent uses of one backup code exactly one succeeds, and only for its own account', async () => {
      const agent = await newAgent();
      const other = await newAgent();
      const code = await core.twoFactor.generateBackupCode(agent);
      assert.equal(await core.twoFactor.useBackupCode(other, code), false);
      const results = await Promise.all(Array.from({ length: 10 }, () => core.twoFactor.useBackupCode(agent, code)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('siteRequirement is null until a site sets one', async () => {
      const site = (await core.tenants.create(null, { name: 'Policy site' })).tenant.id;
      const admin = { tenantId: 0, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin' as const, via: 'api_key' as const };
      assert.equal(await core.twoFactor.siteRequirement(site), null);
      await core.twoFactor.manage.setSiteRequirement(admin, site, 1);
      assert.equal(await core.twoFactor.siteRequirement(site), 1);
      // A second setting updates (a second POST is not a conflict: issue 27).
      await core.twoFactor.manage.setSiteRequirement(admin, site, 0);
      assert.equal(await core.twoFactor.siteRequirement(site), 0);
    });
  });
}

describe('TOTP secrets under key rotation', () => {
  test('`gatehouse keys rotate` re-seals the TOTP secret and the account still verifies', async () => {
    const { runCli } = await import('../../helpers/process.js');
    const server = await startTestServer('sqlite');
    const core = server.runtime.core;
    const db = server.runtime.storage.db;
    const site = (await core.tenants.create(null, { name: 'Site' })).tenant.id;
    const agent = (await core.accounts.create(null, { tenant: site, email: 'rotate@site.example', role: 'agent' })).id;
    const { secretKey } = await core.twoFactor.newSecretFor(agent);
    await core.twoFactor.saveConfig(agent, secretKey, codeAt(secretKey, currentStep()));
    const before = (await db.selectFrom('twofactor_configs').select('secret').where('account_id', '=', agent).executeTakeFirstOrThrow()).secret;
    try {
      const result = await runCli(['keys', 'rotate'], { DATABASE_URL: server.database.url, GATEHOUSE_DATA_DIR: server.database.dataDir });
      assert.equal(result.code, 0, result.stderr);
      const after = (await db.selectFrom('twofactor_configs').select('secret').where('account_id', '=', agent).executeTakeFirstOrThrow()).secret;
      assert.notEqual(core.deps.sealer.kidOf(after), core.deps.sealer.kidOf(before));
      assert.equal(await core.twoFactor.verifyTotp(agent, codeAt(secretKey, currentStep() + 1)), 'ok');
    } finally {
      await server.close();
    }
  });
});
