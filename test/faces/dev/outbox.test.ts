import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`development outbox on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect);
    });
    after(() => server.close());

    test('every channel sends through the outbox by default, and an admin reads it newest first', async () => {
      const { channels } = server.runtime.core;
      await channels.sms.send({ channel: 'sms', tenantId: null, to: '+14155550100', from: '+14155550199', body: 'first 111111' });
      await channels.email.send({ channel: 'email', tenantId: null, to: 'a@b.test', subject: 'Your code', body: 'code 222222' });
      await channels.sms.send({ channel: 'sms', tenantId: null, to: '+14155550100', body: 'second 333333' });
      const res = await call(`${server.url}/dev/outbox?to=%2B14155550100`, { headers: apiKey(server.admin.apiKey) });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.messages.map((m: { body: string }) => m.body), ['second 333333', 'first 111111']);
      const first = res.body.messages[1];
      assert.equal(first.channel, 'sms');
      assert.equal(first.from, '+14155550199');
      assert.ok(!Number.isNaN(Date.parse(first.time)));
      const email = await call(`${server.url}/dev/outbox?to=a@b.test`, { headers: apiKey(server.admin.apiKey) });
      assert.equal(email.body.messages[0].subject, 'Your code');
    });

    test('a tenant that is not an admin cannot read the outbox', async () => {
      const t = server.admin.tenant;
      const res = await call(`${server.url}/dev/outbox`, { headers: basic(t.sid, t.authToken) });
      assert.equal(res.status, 403);
    });

    test('/dev/outbox/page is gone (404): the console\'s /console/outbox is the one outbox page, and nothing links to the old one', async () => {
      const res = await call(`${server.url}/dev/outbox/page`);
      assert.equal(res.status, 404);
      const console = await call(`${server.url}/console/outbox`, { headers: { cookie: `gh_console=${server.admin.apiKey}` } });
      assert.equal(console.status, 200);
      assert.ok(!console.text.includes('/dev/outbox/page'));
      assert.doesNotMatch(console.headers.get('content-security-policy') ?? '', /unsafe-inline|unsafe-eval/);
      assert.doesNotMatch(console.text, /<script/i);
      assert.ok(!console.headers.getSetCookie().some((c) => c.startsWith('gh_console=') && !/HttpOnly/i.test(c)), 'the key stays out of script');
      const spec = await call(`${server.url}/openapi.json`);
      assert.ok(!('/dev/outbox/page' in spec.body.paths));
    });
  });
}

describe('development outbox in production', () => {
  test('is refused unless GATEHOUSE_OUTBOX enables it', async () => {
    const off = await startTestServer('sqlite', { env: { NODE_ENV: 'production' } });
    try {
      const res = await call(`${off.url}/dev/outbox`, { headers: apiKey(off.admin.apiKey) });
      assert.equal(res.status, 404);
      const receipt = await off.runtime.core.channels.sms.send({ channel: 'sms', tenantId: null, to: '+14155550100', body: 'x' });
      assert.equal(receipt.status, 'failed');
      const stored = await off.runtime.storage.db.selectFrom('outbox_messages').selectAll().execute();
      assert.equal(stored.length, 0);
    } finally {
      await off.close();
    }
    const on = await startTestServer('sqlite', { env: { NODE_ENV: 'production', GATEHOUSE_OUTBOX: 'true' } });
    try {
      assert.equal((await call(`${on.url}/dev/outbox`, { headers: apiKey(on.admin.apiKey) })).status, 200);
    } finally {
      await on.close();
    }
  });
});
