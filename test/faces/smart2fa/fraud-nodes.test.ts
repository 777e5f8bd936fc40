/**
 * The conversion guard is exact across nodes: three server processes sharing PostgreSQL (with the
 * counts in Redis, and in SQL without Redis) take 150 sends at once to one never-verified prefix,
 * round-robin; exactly GATEHOUSE_FRAUD_MIN_SENDS are counted (one block records that count), no more
 * reach Twilio (exactly that many unless the machine's load failed some after counting), the rest 456.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { type ServerProcess, bootstrapCredentials, startServerProcess } from '../../helpers/process.js';
import { basic, call } from '../../helpers/server.js';
import { type TestDatabase, createTestDatabase, queryPostgres, sharedNodesEnv, skipUnless } from '../../helpers/services.js';

const SENDS = 150;
const MIN_SENDS = 30;

for (const redis of [true, false]) {
  describe(`the conversion guard on three nodes (PostgreSQL${redis ? ' + Redis' : ', counts in SQL'})`, { skip: await skipUnless({ postgres: true, redis }) }, () => {
    let database: TestDatabase;
    let twilio: FakeTwilio;
    const nodes: ServerProcess[] = [];
    let tenant: { sid: string; authToken: string };
    before(async () => {
      twilio = await startFakeTwilio();
      database = await createTestDatabase('postgres');
      const env = {
        ...sharedNodesEnv(database),
        ...(!redis && { REDIS_URL: '' }),
        // startServerProcess waits for the listening line, an info line.
        LOG_LEVEL: 'info',
        TWILIO_BASE_URL: twilio.url,
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+14155551111',
        GATEHOUSE_SMS_CHANNEL: 'twilio',
      };
      // One at a time: the first migrates and bootstraps, the others find the database ready.
      nodes.push(await startServerProcess(env));
      tenant = bootstrapCredentials(database.dataDir).tenant;
      nodes.push(await startServerProcess(env));
      nodes.push(await startServerProcess(env));
    });
    after(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await database?.drop();
      await twilio?.close();
    });

    test(`${SENDS} sends at once to one prefix: exactly ${MIN_SENDS} counted, at most that many reach Twilio, one block recorded`, async () => {
      const headers = basic(tenant.sid, tenant.authToken);
      // A 503 (storage or Redis overloaded on a busy machine) is retried as a client would, until a
      // definite answer: the send may have been counted before it failed, which only makes the guard stricter.
      const send = async (i: number) => {
        for (let attempt = 0; ; attempt++) {
          const res = await call(`${nodes[(i + attempt) % nodes.length]!.url}/2fa/send`, { headers, json: { service: 'pump', from: '+14155551111', to: `+44771${String(i).padStart(7, '0')}`, body: 'code {code}' } });
          if (res.status !== 503) return res;
          await new Promise((resolve) => setTimeout(resolve, 50 * Math.min(attempt + 1, 10)));
        }
      };
      const answers = await Promise.all(Array.from({ length: SENDS }, (_, i) => send(i)));
      const codes = new Map<number, number>();
      for (const a of answers) codes.set(a.body.code, (codes.get(a.body.code) ?? 0) + 1);
      // The nodes' delivery queues call Twilio a moment after the answers: wait until every accepted
      // send arrived (or the count stops short, which the assertions below then show).
      const arrived = () => twilio.requests.filter((r) => r.form.To?.startsWith('+44771')).length;
      for (let i = 0; i < 300 && arrived() < (codes.get(200) ?? 0); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const reached = arrived();
      assert.deepEqual([...codes.keys()].sort(), [200, 456], JSON.stringify(Object.fromEntries(codes)));
      assert.ok(reached <= MIN_SENDS, `${reached} reached Twilio`);
      assert.equal(codes.get(200), reached, 'each accepted send reached Twilio once');
      console.log(`# ${redis ? 'redis' : 'sql'}: ${JSON.stringify(Object.fromEntries(codes))}, ${reached} reached Twilio`);
      // Exactly one block, tripped by the send that found exactly MIN_SENDS counted on any node.
      assert.deepEqual(await queryPostgres(database.url, 'select prefix, sent, verified from fraud_blocks'), [{ prefix: '+44-771', sent: MIN_SENDS, verified: 0 }]);
      const listed = await call(`${nodes[2]!.url}/2fa/fraud/blocked-prefixes`, { headers });
      assert.deepEqual(listed.body.data.blockedPrefixes.map((b: any) => b.prefix), ['+44-771']);
    });
  });
}
