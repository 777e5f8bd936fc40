/**
 * SIP REGISTER guessing is the registrar's to limit (sip/kamailio/kamailio.cfg, htable authfail):
 * SIPp sends wrong-password REGISTERs through Kamailio until the source is refused outright, the
 * right password from that source included, while the same account still registers from another
 * source (SIPp on 127.0.0.2) and another account from the refused source is not affected.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type Kamailio, kamailioPorts, rpcUrlOf, startKamailio } from '../../helpers/kamailio.js';
import { skipUnlessTools, startSipp } from '../../helpers/sipp.js';
import { type World, createAccount, world } from './world.js';

const SECRET = 'registrar-secret-0123456789';
/** Failures per source and address before Kamailio refuses the source (kamailio.cfg). */
const LIMIT = 10;

async function sipp(kamailio: Kamailio, scenario: string, user: { username: string; domain: string; password: string }, final: 200 | 403, calls: number, source = '127.0.0.1') {
  const run = await startSipp(
    scenario,
    { USER: user.username, DOMAIN: user.domain, PASSWORD: user.password, INSTANCE: randomUUID(), CONTACT_PORT: '5999', EXPIRES: '600', FINAL: String(final) },
    [`127.0.0.1:${kamailio.ports.sip}`, '-m', String(calls), '-r', '20'],
    undefined,
    source,
  );
  return run.done();
}

for (const dialect of DIALECTS) {
  describe(`Kamailio limits REGISTER guessing (${dialect})`, { skip: skipUnlessTools(['sipp', 'kamailio']) || (await skipDialect(dialect)) }, () => {
    let server: TestServer;
    let w: World;
    let kamailio: Kamailio;
    before(async () => {
      const ports = await kamailioPorts();
      server = await startTestServer(dialect, { env: { GATEHOUSE_REGISTRAR_SECRET: SECRET, GATEHOUSE_REGISTRAR_RPC_URL: rpcUrlOf(ports) } });
      w = await world(server);
      kamailio = await startKamailio(ports, { gatehouseUrl: server.url, secret: SECRET, algorithm: 'MD5' });
    });
    after(async () => {
      await kamailio?.stop();
      await server?.close();
    });

    test(`after ${LIMIT} wrong-password REGISTERs a source is refused before any challenge, the right password included; another source and another account still register`, async () => {
      const victim = await createAccount(w, { algorithm: 'MD5' });
      const bystander = await createAccount(w, { algorithm: 'MD5' });
      const wrong = { ...victim, password: 'not-the-password' };
      const guesses = await sipp(kamailio, 'register.xml', wrong, 403, LIMIT);
      assert.equal(guesses.code, 0, `each of ${LIMIT} wrong passwords is challenged and refused:\n${guesses.output}\n${kamailio.output()}`);
      const refused = await sipp(kamailio, 'register-refused.xml', victim, 403, 1);
      assert.equal(refused.code, 0, `the guessing source gets 403 at once:\n${refused.output}\n${kamailio.output()}`);
      const right = await sipp(kamailio, 'register.xml', victim, 200, 1);
      assert.notEqual(right.code, 0, 'the right password from the guessing source is refused too');
      assert.match(kamailio.output(), /REGISTER guessing: 127\.0\.0\.1 refused/);
      const elsewhere = await sipp(kamailio, 'register.xml', victim, 200, 1, '127.0.0.2');
      assert.equal(elsewhere.code, 0, `another source registers the account:\n${elsewhere.output}\n${kamailio.output()}`);
      const other = await sipp(kamailio, 'register.xml', bystander, 200, 1);
      assert.equal(other.code, 0, `another account registers from the guessing source:\n${other.output}`);
    });

    test('a success ends the source\'s run of failures for the address', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const typos = { ...user, password: 'typo' };
      const source = '127.0.0.3';
      assert.equal((await sipp(kamailio, 'register.xml', typos, 403, LIMIT - 1, source)).code, 0);
      assert.equal((await sipp(kamailio, 'register.xml', user, 200, 1, source)).code, 0);
      assert.equal((await sipp(kamailio, 'register.xml', typos, 403, LIMIT - 1, source)).code, 0);
      assert.equal((await sipp(kamailio, 'register.xml', user, 200, 1, source)).code, 0);
    });
  });
}
