/**
 * Port of upstream's tests/Feature/ApiAccountMessageTest.php (flexisip-account-manager 75599dd). Upstream
 * hands the message to its own SIP publisher; Gatehouse sends a SIP MESSAGE through the proxy named by
 * GATEHOUSE_SIP_PROXY, so the port puts a real Kamailio there and a SIPp user agent registered behind it
 * to take the message. Upstream's recipient needs no registration; through a real proxy an unregistered
 * one is a SIP 404 (a 422 on `to`, test/faces/flexisip/registrar-kamailio.test.ts), so the recipient
 * registers first. The message comes from the admin's own SIP address.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type Kamailio, kamailioPorts, rpcUrlOf, startKamailio } from '../../../helpers/kamailio.js';
import { ereLiteral, freeUdpPort, skipUnlessTools, startSipp } from '../../../helpers/sipp.js';
import { type World, createAccount, world } from '../world.js';
import { adminMember } from './upstream-world.js';

const SECRET = 'registrar-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountMessageTest (${dialect})`, { skip: skipUnlessTools(['sipp', 'kamailio']) || (await skipDialect(dialect)) }, () => {
    let server: TestServer;
    let w: World;
    let kamailio: Kamailio;
    before(async () => {
      const ports = await kamailioPorts();
      server = await startTestServer(dialect, {
        env: { GATEHOUSE_REGISTRAR_SECRET: SECRET, GATEHOUSE_REGISTRAR_RPC_URL: rpcUrlOf(ports), GATEHOUSE_SIP_PROXY: `udp:127.0.0.1:${ports.sip}` },
      });
      w = await world(server);
      kamailio = await startKamailio(ports, { gatehouseUrl: server.url, secret: SECRET, algorithm: 'MD5' });
    });
    after(async () => {
      await kamailio?.stop();
      await server?.close();
    });

    test('testRequest', async () => {
      const admin = await adminMember(w);
      const bad = await call(`${w.url}/api/messages`, { headers: admin.key, json: { to: '+badid', body: 'foobar' } });
      assert.deepEqual([bad.status, Object.keys(bad.body.errors)], [422, ['to']]);

      const recipient = await createAccount(w, { algorithm: 'MD5' });
      const uasPort = await freeUdpPort();
      const registered = await startSipp(
        'register.xml',
        { USER: recipient.username, DOMAIN: recipient.domain, PASSWORD: recipient.password, INSTANCE: randomUUID(), CONTACT_PORT: String(uasPort), EXPIRES: '600', FINAL: '200' },
        [`127.0.0.1:${kamailio.ports.sip}`, '-m', '1'],
      );
      assert.equal((await registered.done()).code, 0, kamailio.output());
      const to = `${recipient.username}@${recipient.domain}`;
      const body = 'Message content';
      const uas = await startSipp('message-uas.xml', { TO: ereLiteral(`sip:${to}`), FROM: ereLiteral(`sip:${admin.username}@${admin.domain}`), BODY: ereLiteral(body) }, ['-m', '1'], uasPort);
      try {
        const sent = await call(`${w.url}/api/messages`, { headers: admin.key, json: { to, body } });
        assert.equal(sent.status, 200, sent.text);
        assert.ok(sent.body.id, 'the answer has an id');
        const { code, output } = await uas.done();
        assert.equal(code, 0, output);
      } finally {
        await uas.stop();
      }
    });
  });
}
