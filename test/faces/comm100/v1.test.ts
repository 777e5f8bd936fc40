import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, nowCode, setUp2fa, startWorld, wrongCode } from './twofactor-world.js';

const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const decodeQr = (dataUrl: string) => {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
};

for (const dialect of DIALECTS) {
  describe(`Comm100 v1 2FA API on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    before(async () => {
      w = await startWorld(dialect);
    });
    after(() => w.server.close());

    test('POST /2fa/secretkey answers a secret and a QR code that scans back to its otpauth URL', async () => {
      const res = await w.api('POST', '/2fa/secretkey', w.agentA1.headers);
      assert.equal(res.status, 200);
      assert.match(res.body.secretKey, /^[A-Z2-7]{32}$/);
      const url = decodeQr(res.body.qrcodeUrl);
      assert.equal(url, res.body.otpauthUrl);
      assert.ok(url?.includes(`secret=${res.body.secretKey}&`));
    });

    test('POST /2fa/code:verify answers success once per code, fail for a replay or a wrong code', async () => {
      const { secretKey } = (await w.api('POST', '/2fa/secretkey', w.agentA1.headers)).body;
      const code = nowCode(secretKey);
      const first = await w.api('POST', '/2fa/code:verify', w.agentA1.headers, { secretKey, code });
      assert.deepEqual([first.status, first.body], [200, { result: 'success' }]);
      assert.deepEqual((await w.api('POST', '/2fa/code:verify', w.agentA2.headers, { secretKey, code })).body, { result: 'fail' });
      assert.deepEqual((await w.api('POST', '/2fa/code:verify', w.agentA1.headers, { secretKey, code: wrongCode(secretKey) })).body, { result: 'fail' });
      const malformed = await w.api('POST', '/2fa/code:verify', w.agentA1.headers, { secretKey: '0000', code });
      assert.equal(malformed.status, 400);
      assert.match(malformed.body.message, /^secretKey/);
      assert.equal((await w.api('POST', '/2fa/code:verify', {}, { secretKey, code })).status, 401);
    });

    test('the documents\' own 80-bit example secret verifies; shorter ones are refused by name', async () => {
      const secretKey = 'DQ6EXYKLD4TTJ7DY';
      const ok = await w.api('POST', '/2fa/code:verify', w.agentA1.headers, { secretKey, code: nowCode(secretKey) });
      assert.deepEqual(ok.body, { result: 'success' });
      const short = await w.api('POST', '/2fa/code:verify', w.agentA1.headers, { secretKey: 'DQ6EXYKLD4TTJ7', code: '123456' });
      assert.equal(short.status, 400);
      assert.match(short.body.message, /^secretKey: must be a base32 secret of 10 to 64 bytes/);
    });

    test('POST /globalapi/2faConfig without a code answers a secret; with secretKey and code it creates the config v2 sees', async () => {
      const agent = await w.newAgent();
      const offered = await w.api('POST', '/globalapi/2faConfig', agent.headers, {});
      assert.equal(offered.status, 200);
      assert.equal(decodeQr(offered.body.qrcodeUrl), offered.body.otpauthUrl);
      assert.equal(await w.server.runtime.core.twoFactor.getConfig(agent.id), undefined, 'offering stores nothing');
      const { secretKey } = offered.body;
      const wrong = await w.api('POST', '/global/2faConfig', agent.headers, { secretKey, code: wrongCode(secretKey) });
      assert.deepEqual(wrong.body, { error: 'code verify failed', message: 'code verify failed' });
      const created = await w.api('POST', '/global/2faConfig', agent.headers, { secretKey, code: nowCode(secretKey) });
      assert.equal(created.status, 200);
      assert.equal(created.body.result, 'success');
      assert.equal(created.body.agentId, String(agent.id));
      const v2 = await w.api('GET', `/global/agent2faConfigs/${agent.id}`, agent.headers);
      assert.equal(v2.body.id, created.body.id);
      const v2Again = await w.api('POST', '/global/agent2faConfigs', agent.headers, { secretKey, code: nowCode(secretKey) });
      assert.equal(v2Again.body.error, 'secretKey have exited');
      const onlyCode = await w.api('POST', '/global/2faConfig', agent.headers, { code: '123456' });
      assert.equal(onlyCode.status, 400);
      assert.match(onlyCode.body.message, /^secretKey/);
    });

    test('a config made through v2 is read, replaced and deleted through v1 under every prefix', async () => {
      const agent = await w.newAgent();
      await setUp2fa(w, agent);
      for (const prefix of ['/global', '/globalapi', '/partnerglobal', '/partnerglobalapi']) {
        const own = await w.api('GET', `${prefix}/2faConfig`, agent.headers);
        assert.equal(own.body.agentId, String(agent.id), prefix);
        assert.equal((await w.api('GET', `${prefix}/2faConfig/${agent.id}`, w.superP.headers)).body.agentId, String(agent.id));
      }
      const fresh = (await w.api('POST', '/2fa/secretkey', agent.headers)).body.secretKey;
      const put = await w.api('PUT', `/partnerglobal/2faConfig/${agent.id}`, agent.headers, { secretKey: fresh, code: nowCode(fresh) });
      assert.equal(put.body.result, 'success');
      assert.equal((await w.api('GET', `/global/2faConfig/${agent.id}`, w.agentB.headers)).status, 403);
      const del = await w.api('DELETE', `/global/2faConfig/${agent.id}`, agent.headers);
      assert.deepEqual(del.body, { result: 'success' });
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, agent.headers)).status, 404);
    });

    test('a partner user (super agent) manages its config through /partnerglobalapi with partneruserid', async () => {
      const sa = await w.newSuperAgent();
      const { secretKey } = (await w.api('POST', '/partnerglobalapi/2faConfig', sa.headers, { partneruserid: sa.id })).body;
      const created = await w.api('POST', '/partnerglobalapi/2faConfig', w.superP.headers, { partneruserid: sa.id, secretKey, code: nowCode(secretKey) });
      assert.equal(created.body.result, 'success');
      assert.equal((await w.api('GET', `/partnerglobal/superagent2faConfigs/${sa.id}`, sa.headers)).status, 200);
      assert.equal((await w.api('DELETE', `/partnerglobalapi/2faConfig/${sa.id}`, w.superQ.headers)).status, 403);
      assert.equal((await w.api('DELETE', `/partnerglobalapi/2faConfig/${sa.id}`, sa.headers)).status, 200);
      assert.equal((await w.api('DELETE', `/partnerglobalapi/2faConfig/${sa.id}`, sa.headers)).status, 404);
    });
  });
}
