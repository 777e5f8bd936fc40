import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Core } from '../../../src/core/core.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { totp, twoFactorAgents, wrong } from '../../faces/comm100/login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`core.login lock and tries under concurrency (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let core: Core;
    let agents: Awaited<ReturnType<typeof twoFactorAgents>>;

    before(async () => {
      server = await startTestServer(dialect);
      core = server.runtime.core;
      agents = await twoFactorAgents(core, '10.0.0.9');
    });
    after(() => server?.close());

    const end = (preLoginToken: string, code: string) =>
      core.login.endLogin({ preLoginToken, code, trustDevice: false, clientAddress: '10.0.0.9', userAgent: null }).then(
        () => 'ok',
        (err: { code: string }) => err.code,
      );

    it('20 concurrent wrong codes on several tokens: 10 are checked, the account locks once, with one lock event', async () => {
      const { id, secretKey, token } = await agents.agent();
      const tokens = await Promise.all(Array.from({ length: 4 }, token));
      const results = await Promise.all(tokens.flatMap((t) => Array.from({ length: 5 }, () => end(t, wrong(secretKey)))));
      assert.equal(results.filter((r) => r === 'code_verify_failed').length, 9, 'only 10 codes were checked: 9 failed, the 10th locked');
      assert.equal(results.filter((r) => r === 'account_locked').length, 11);
      const events = await core.audit.list({ tenantId: agents.site, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin', via: 'api_key' }, { accountId: id });
      assert.equal(events.filter((e) => e.event === 'lock').length, 1);
      assert.equal(events.find((e) => e.event === 'lock')!.clientAddress, '10.0.0.9');
      assert.equal(await end(await token(), totp(secretKey)), 'account_locked');
    });

    it('a code of the right shape for another account\'s secret is a failure, and an unknown token is refused', async () => {
      const a = await agents.agent();
      const b = await agents.agent();
      assert.equal(await end(await a.token(), totp(b.secretKey)), totp(a.secretKey) === totp(b.secretKey) ? 'ok' : 'code_verify_failed');
      assert.equal(await end('ghp_unknown', totp(a.secretKey)), 'unauthenticated');
    });

    it('two concurrent right codes (TOTP and backup) on one token give one JWT', async () => {
      const { id, secretKey, token } = await agents.agent();
      const backup = await core.twoFactor.generateBackupCode(id);
      const t = await token();
      const results = await Promise.all([end(t, totp(secretKey)), end(t, backup)]);
      assert.deepEqual(results.sort(), ['ok', 'unauthenticated']);
    });
  });
}
