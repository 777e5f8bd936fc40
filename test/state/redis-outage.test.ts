/**
 * Redis goes away under a running server: a send must answer 503 in the Smart 2FA envelope within a
 * second (not hang, not 500), log one line without a stack, and work again once Redis is back. A TCP
 * proxy between the server and Redis plays the outage: it either stops forwarding (a hung Redis) or
 * drops every connection and refuses new ones (a dead Redis).
 */
import assert from 'node:assert/strict';
import { type Server, type Socket, createServer, connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, REDIS_URL, redisPrefix, skipUnless } from '../helpers/services.js';
import { type TestServer, call, startTestServer } from '../helpers/server.js';
import { client, randomNumber } from '../faces/smart2fa/helpers.js';
import { PASSWORD } from '../faces/comm100/login-helpers.js';

interface Proxy {
  port: number;
  setMode(mode: 'pass' | 'hang' | 'down'): void;
  close(): Promise<void>;
}

async function redisProxy(): Promise<Proxy> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let mode: 'pass' | 'hang' | 'down' = 'pass';
  let held: Array<[Socket, Buffer]> = [];
  const server: Server = createServer((downstream) => {
    if (mode === 'down') return void downstream.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    // A hung Redis answers late, not never: what arrives meanwhile is held and passed on afterwards.
    const relay = (to: Socket) => (d: Buffer) => (mode === 'pass' ? to.write(d) : held.push([to, d]));
    downstream.on('data', relay(upstream));
    upstream.on('data', relay(downstream));
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    setMode(next) {
      mode = next;
      if (next === 'down') for (const s of sockets) s.destroy();
      if (next === 'pass') for (const [to, d] of held.splice(0)) if (!to.destroyed) to.write(d);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`a Redis outage on ${dialect}`, { skip: await skipUnless({ redis: true, postgres: dialect === 'postgres' }) }, () => {
    let proxy: Proxy;
    let server: TestServer;
    before(async () => {
      proxy = await redisProxy();
      server = await startTestServer(dialect, { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, GATEHOUSE_REDIS_PREFIX: redisPrefix() } });
    });
    after(async () => {
      proxy.setMode('pass');
      await server.close();
      await proxy.close();
    });

    for (const mode of ['hang', 'down'] as const) {
      test(`(${mode === 'hang' ? 'Redis stops answering' : 'Redis drops every connection'}) a send answers 503 within a second, logs no stack, and recovers`, async () => {
        const base = client(server);
        // The default per-recipient limit lives in SQL; a named limit's buckets live in Redis.
        const made = await base.post('/2fa/limits', { name: `outage-${mode}`, buckets: [{ name: 'many', max: '1000', interval: '60' }] });
        assert.equal(made.status, 200, made.text);
        const c = { ...base, send: (fields: Record<string, unknown> = {}) => base.send({ limits: { [`outage-${mode}`]: 'all' }, ...fields }) };
        assert.equal((await c.send()).status, 200);
        proxy.setMode(mode);
        const logged = server.logs.length;
        const started = Date.now();
        const res = await c.send({ to: randomNumber() });
        const took = Date.now() - started;
        assert.equal(res.status, 503, res.text);
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'requestID']);
        assert.equal(res.body.code, 503);
        assert.ok(took < 1000, `answered after ${took} ms`);
        const lines = server.logs.slice(logged);
        assert.ok(!lines.some((l) => /"stack"|"level":(50|60)/.test(l)), lines.join(''));
        proxy.setMode('pass');
        let again = await c.send({ to: randomNumber() });
        for (let i = 0; i < 40 && again.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 100));
          again = await c.send({ to: randomNumber() });
        }
        assert.equal(again.status, 200, again.text);
      });
    }

    test('after Redis was down for 4 s, a send and a sign-in work again within a second of its return', async () => {
      const core = server.runtime.core;
      const partner = (await core.tenants.create(null, { name: 'P' })).tenant.id;
      const site = (await core.tenants.create(null, { name: 'S', parent: partner })).tenant.id;
      const email = `recovering-${Date.now()}@example.com`;
      await core.accounts.create(null, { tenant: site, email, role: 'agent', password: PASSWORD });
      const base = client(server);
      assert.equal((await base.post('/2fa/limits', { name: 'recovery', buckets: [{ name: 'many', max: '1000', interval: '60' }] })).status, 200);
      // The send takes a named limit's bucket and the sign-in its password buckets: both in Redis.
      const send = async () => (await base.send({ to: randomNumber(), limits: { recovery: 'all' } })).status;
      const signIn = async () =>
        (await call(`${server.url}/global/jwtToken/login`, { json: { partnerId: partner, siteId: site, email, password: PASSWORD } })).status;
      assert.equal(await send(), 200);
      assert.equal(await signIn(), 200);
      proxy.setMode('down');
      // Long enough for a client that backs off exponentially to wait seconds between reconnects.
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(await send(), 503);
      proxy.setMode('pass');
      // Polled every 100 ms: the 10th poll starts about a second after Redis returned. Counting polls
      // rather than timing one request keeps a slow machine from failing the test, while a client
      // that waits seconds before reconnecting still needs far more than 10 polls.
      for (const [what, attempt] of [['send', send], ['sign-in', signIn]] as const) {
        let polls = 0;
        let status = 0;
        while (polls < 10 && status !== 200) {
          polls++;
          status = await attempt();
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 200, `${what} still failed after ${polls} polls 100 ms apart`);
      }
    });
  });
}
