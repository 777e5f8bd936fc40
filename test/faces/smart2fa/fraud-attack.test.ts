/**
 * An SMS-pumping attack played against the default guard (issue 23), on SQLite and PostgreSQL (shared
 * state in SQL) and on PostgreSQL + Redis: 250
 * sends to premium-rate numbers of one family (+1 900), 250 to valid mobiles under one pumped prefix
 * (+44-771), never verified, mixed with 500 ordinary sends (+1-415 and +91-996) that are verified
 * after 5 to 60 seconds — on the guard's controlled clock, one send every 2 s, so the half hour
 * passes in seconds and false blocks would show. Counted: attack sends that reached the provider
 * (at most GATEHOUSE_FRAUD_MIN_SENDS, 30) and ordinary sends refused (0).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classify } from '../../../src/core/fraud/number-class.js';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipUnless } from '../../helpers/services.js';
import { client } from './helpers.js';
import { queueDrained } from '../../helpers/delivery.js';

/** A small seeded generator (mulberry32): the same attack every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'premium' | 'pumped' | 'ordinary';
interface Send {
  kind: Kind;
  to: string;
}

/** The 1,000 sends in a shuffled order, each to a number of its own. */
function attack(rand: () => number): Send[] {
  const digits = (n: number) => String(Math.floor(rand() * 10 ** n)).padStart(n, '0');
  const used = new Set<string>();
  const unique = (make: () => string) => {
    for (;;) {
      const to = make();
      if (!used.has(to)) return used.add(to), to;
    }
  };
  const sends: Send[] = [
    ...Array.from({ length: 250 }, () => ({ kind: 'premium' as const, to: unique(() => `+1900${2_000_000 + Math.floor(rand() * 8_000_000)}`) })),
    ...Array.from({ length: 250 }, () => ({ kind: 'pumped' as const, to: unique(() => `+44771${digits(7)}`) })),
    ...Array.from({ length: 300 }, () => ({ kind: 'ordinary' as const, to: unique(() => `+1415${2_000_000 + Math.floor(rand() * 8_000_000)}`) })),
    ...Array.from({ length: 200 }, () => ({ kind: 'ordinary' as const, to: unique(() => `+91996${digits(7)}`) })),
  ];
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sends[i], sends[j]] = [sends[j]!, sends[i]!];
  }
  return sends;
}

const MIN_SENDS = 30;

// Shared state in SQL (each dialect), and in Redis.
const SETUPS = [...DIALECTS.map((dialect) => ({ dialect, redis: false })), { dialect: 'postgres' as const, redis: true }];

for (const { dialect, redis } of SETUPS) {
  const name = `${dialect}${redis ? ' + Redis' : ''}`;
  describe(`an SMS-pumping attack against the default guard (${name})`, { skip: await skipUnless({ postgres: dialect === 'postgres', redis }) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    before(async () => {
      twilio = await startFakeTwilio();
      server = await startTestServer(dialect, {
        redis,
        env: {
          TWILIO_BASE_URL: twilio.url,
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM: '+14155551111',
          GATEHOUSE_SMS_CHANNEL: 'twilio',
        },
      });
      assert.equal(server.config.fraud.minSends, MIN_SENDS, 'the defaults are played');
    });
    after(async () => {
      await server?.close();
      await twilio?.close();
    });

    it('lets at most the threshold volume of attack sends reach Twilio and refuses no ordinary send', async () => {
      const rand = random(23);
      const sends = attack(rand);
      for (const s of sends) assert.equal(classify(s.to).kind, s.kind === 'premium' ? 'PREMIUM_RATE' : s.kind === 'pumped' || s.to.startsWith('+91') ? 'MOBILE' : 'FIXED_LINE_OR_MOBILE', s.to);
      let clock = Date.UTC(2026, 11, 6, 9, 17, 13);
      server.runtime.core.fraud.useClock(() => clock);
      const api = client(server);
      const answered = { premium: new Map<number, number>(), pumped: new Map<number, number>(), ordinary: new Map<number, number>() };
      const count = (kind: Kind, code: number) => answered[kind].set(code, (answered[kind].get(code) ?? 0) + 1);
      // Verifications due: [when, requestId, to], kept in time order.
      const due: Array<[number, string, string]> = [];
      let verified = 0;
      const verifyDue = async (until: number) => {
        due.sort((a, b) => a[0] - b[0]);
        while (due.length && due[0]![0] <= until) {
          const [when, requestId, to] = due.shift()!;
          clock = when;
          const body = await delivered(to);
          const res = await api.post('/2fa/verify', { requestId, code: /\d{6}/.exec(body)![0] });
          assert.equal(res.status, 200, `verify of ${to}: ${res.text}`);
          verified++;
        }
      };
      // The message Twilio received for a number (waited for: a queue may deliver it a moment later).
      const delivered = async (to: string) => {
        for (let i = 0; i < 500; i++) {
          const r = [...twilio.requests].reverse().find((q) => q.form.To === to);
          if (r) return r.form.Body!;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`no message reached Twilio for ${to}`);
      };

      const start = clock;
      for (const [i, s] of sends.entries()) {
        const at = start + i * 2000;
        await verifyDue(at);
        clock = at;
        const res = await api.send({ to: s.to });
        const code = res.status === 200 ? 200 : res.body.code;
        count(s.kind, code);
        if (s.kind === 'ordinary') {
          assert.equal(res.status, 200, `ordinary send ${i} to ${s.to} refused: ${res.text}`);
          due.push([at + 5000 + Math.floor(rand() * 55_000), res.body.requestID, s.to]);
        }
      }
      await verifyDue(Number.MAX_SAFE_INTEGER);

      // Every accepted send has reached Twilio (or failed) once the delivery queue is empty.
      await queueDrained(server);
      const reached = (prefix: string) => twilio.requests.filter((r) => r.path.endsWith('/Messages.json') && r.form.To!.startsWith(prefix)).length;
      const report = { premiumReached: reached('+1900'), pumpedReached: reached('+44771'), ordinaryRefused: 500 - (answered.ordinary.get(200) ?? 0), verified };
      console.log(`# ${name}: ${JSON.stringify(report)}; answers ${JSON.stringify(Object.fromEntries(Object.entries(answered).map(([k, m]) => [k, Object.fromEntries(m)])))}`);
      assert.equal(report.premiumReached, 0, 'premium numbers are refused by their class');
      assert.deepEqual(Object.fromEntries(answered.premium), { 455: 250 });
      assert.ok(report.pumpedReached <= MIN_SENDS, `${report.pumpedReached} pumped sends reached Twilio`);
      assert.equal(report.pumpedReached, MIN_SENDS, 'the guard judged exactly when the volume was reached');
      assert.deepEqual(Object.fromEntries(answered.pumped), { 200: MIN_SENDS, 456: 250 - MIN_SENDS });
      assert.equal(report.ordinaryRefused, 0);
      assert.equal(verified, 500);

      const blocked = await api.get('/2fa/fraud/blocked-prefixes');
      assert.deepEqual(blocked.body.data.blockedPrefixes.map((b: any) => [b.prefix, b.sent, b.verified]), [['+44-771', MIN_SENDS, 0]]);
      const metrics = await call(`${server.url}/metrics`);
      assert.match(metrics.text, /^gatehouse_fraud_prefix_blocked\{prefix="\+44-771"\} 1$/m);
      assert.doesNotMatch(metrics.text, /gatehouse_fraud_prefix_blocked\{prefix="\+(1-415|91-996)"\}/);
    });
  });
}
