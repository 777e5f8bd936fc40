/**
 * Backup codes are stored keyed with the sealed pepper (a dump alone cannot brute-force them), rows
 * of the earlier unkeyed form are upgraded at start and keep working, and v1's stateless
 * /2fa/code:verify shares the login's replay guard: a TOTP code is accepted once across both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../../../src/core/crypto.js';
import { DIALECTS, createTestDatabase, skipDialect } from '../../helpers/services.js';
import { startTestServer } from '../../helpers/server.js';
import { type LoginWorld, startLoginWorld, totp } from './login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`backup codes at rest and one replay guard on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(() => w.server.close());

    async function verifyingLogin() {
      const agent = await w.agent(w.openSite);
      const secret = await w.enable2fa(agent.id);
      const token = async () => {
        const r = await w.login(w.openSite, agent.email);
        assert.equal(r.body.nextStep, 'isNeed2faVerify', r.text);
        return r.body.preLoginToken as string;
      };
      return { agent, secret, token };
    }

    test('a TOTP code spent by endlogin is refused by /2fa/code:verify', async () => {
      const { secret, token } = await verifyingLogin();
      const code = totp(secret);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code })).status, 200);
      const again = await w.post('/2fa/code:verify', { secretKey: secret, code }, w.admin);
      assert.deepEqual(again.body, { result: 'fail' });
    });

    test('a TOTP code spent by /2fa/code:verify is refused by endlogin', async () => {
      const { secret, token } = await verifyingLogin();
      const code = totp(secret);
      assert.deepEqual((await w.post('/2fa/code:verify', { secretKey: secret, code }, w.admin)).body, { result: 'success' });
      const login = await w.post('/global/endlogin', { preLoginToken: await token(), code });
      assert.equal(login.status, 400, login.text);
      assert.equal(login.body.error, 'code verify failed');
    });

    test('a backup code is stored keyed, not as an unkeyed hash of the code, and works once', async () => {
      const { agent, token } = await verifyingLogin();
      const code = await w.server.runtime.core.twoFactor.generateBackupCode(agent.id);
      const row = await w.server.runtime.storage.db.selectFrom('twofactor_backup_codes').select('code_hash').where('account_id', '=', agent.id).executeTakeFirstOrThrow();
      for (const unkeyed of [sha256Hex(`backup:${agent.id}:${code}`), sha256Hex(code), sha256Hex(`${agent.id}:${code}`)]) assert.notEqual(row.code_hash, unkeyed);
      assert.ok(!row.code_hash.includes(code));
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code })).status, 200);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code })).status, 400, 'used once');
    });
  });

  describe(`backup codes stored by an earlier version on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    test('are re-hashed with the pepper at start and still work', async () => {
      const database = await createTestDatabase(dialect);
      try {
        const first = await startTestServer(dialect, { database });
        const core = first.runtime.core;
        const site = (await core.tenants.create(null, { name: 'Site' })).tenant.id;
        const agent = (await core.accounts.create(null, { tenant: site, email: 'old@example.com', role: 'agent' })).id;
        const code = await core.twoFactor.generateBackupCode(agent);
        const legacy = sha256Hex(`backup:${agent}:${code}`);
        await first.runtime.storage.db.updateTable('twofactor_backup_codes').set({ code_hash: legacy }).where('account_id', '=', agent).execute();
        await first.close();

        const second = await startTestServer(dialect, { database });
        try {
          const row = await second.runtime.storage.db.selectFrom('twofactor_backup_codes').select('code_hash').where('account_id', '=', agent).executeTakeFirstOrThrow();
          assert.notEqual(row.code_hash, legacy, 'upgraded at start');
          assert.equal(await second.runtime.core.twoFactor.useBackupCode(agent, code), true);
          assert.equal(await second.runtime.core.twoFactor.useBackupCode(agent, code), false);
        } finally {
          await second.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}
