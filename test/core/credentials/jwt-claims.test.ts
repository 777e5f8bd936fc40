/**
 * JWTs Gatehouse signs carry whole-second iat/nbf/exp (strict parsers refuse a fractional NumericDate),
 * and revocation compares the token's credentials generation with the account's: a password change
 * or a 2FA reset refuses exactly the tokens signed before it, even in the same second (issue 27).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { GENERATION_CLAIM } from '../../../src/core/credentials/credentials.js';
import type { Core } from '../../../src/core/core.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`Gatehouse JWT claims and revocation on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let core: Core;
    let tenant: number;
    let n = 0;
    before(async () => {
      server = await startTestServer(dialect);
      core = server.runtime.core;
      tenant = (await core.tenants.create(null, { name: 'claims' })).tenant.id;
    });
    after(() => server.close());
    const newAgent = async () => (await core.accounts.create(null, { tenant, email: `claims${++n}@example.com`, password: 'correct horse battery' })).id;
    const refused = (token: string) => core.credentials.authenticateJwt(token).then(() => false, () => true);

    test('iat, nbf and exp are integers; nbf is iat; the generation claim is there', async () => {
      const { token } = await core.credentials.signJwt(await newAgent());
      const claims = decodeJwt(token);
      for (const name of ['iat', 'nbf', 'exp'] as const) assert.ok(Number.isInteger(claims[name]), `${name} = ${claims[name]}`);
      assert.equal(claims.nbf, claims.iat);
      assert.equal(typeof claims[GENERATION_CLAIM], 'number');
    });

    test('a password change refuses every token signed before it, and none signed after, even within one second (the generation, not the date, decides)', async () => {
      const id = await newAgent();
      const before1 = (await core.credentials.signJwt(id)).token;
      const before2 = (await core.credentials.signJwt(id)).token;
      await core.credentials.revokeJwts(id);
      const after1 = (await core.credentials.signJwt(id)).token;
      await core.credentials.revokeJwts(id);
      const after2 = (await core.credentials.signJwt(id)).token;
      assert.deepEqual([await refused(before1), await refused(before2), await refused(after1), await refused(after2)], [true, true, true, false]);
    });

    test('through the real flow: a password change ends the JWTs signed before', async () => {
      const id = await newAgent();
      const token = (await core.credentials.signJwt(id)).token;
      assert.equal(await refused(token), false);
      const admin = { tenantId: 0, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin' as const, via: 'api_key' as const };
      await core.accounts.update(admin, id, { password: 'another long password' });
      assert.equal(await refused(token), true);
      const fresh = (await core.credentials.signJwt(id)).token;
      assert.equal(await refused(fresh), false);
    });
  });
}
