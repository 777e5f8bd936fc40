/**
 * The delivery queue's core, on the real server's runtime (SQLite and PostgreSQL): every job handled
 * once, retries as configured and then failed, a job whose worker outlived its lease claimed again with
 * the late result fenced out, payloads sealed at rest and cleared at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { ClaimedJob, Outcome } from '../../../src/core/queue/queue.js';
import { queueDrained } from '../../helpers/delivery.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`delivery queue core (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    const calls = new Map<string, number>();
    const ended: Array<[string, string, string | null]> = [];
    let behaviour: (job: ClaimedJob) => Promise<Outcome> = async () => ({ type: 'ok' });
    before(async () => {
      server = await startTestServer(dialect, {
        env: { GATEHOUSE_DELIVERY_ATTEMPTS: '3', GATEHOUSE_DELIVERY_BACKOFF_MS: '20', GATEHOUSE_DELIVERY_BACKOFF_MAX_MS: '50', GATEHOUSE_DELIVERY_LEASE: '1', GATEHOUSE_DELIVERY_POLL_MS: '50' },
      });
      server.runtime.core.queue.register('test', {
        async handle(job) {
          calls.set(job.ref, (calls.get(job.ref) ?? 0) + 1);
          return behaviour(job);
        },
        ended: (job, state, error) => void ended.push([job.ref, state, error]),
      });
    });
    after(() => server?.close());
    const db = () => server.runtime.storage.db;
    const job = (ref: string) => db().selectFrom('delivery_jobs').selectAll().where('key', '=', `test:${ref}`).executeTakeFirstOrThrow();

    test('200 jobs enqueued at once are each handled exactly once, and their payloads are sealed then cleared', async () => {
      const seen: string[] = [];
      behaviour = async (j) => {
        seen.push(j.payload!);
        return { type: 'ok' };
      };
      const queue = server.runtime.core.queue;
      await Promise.all(Array.from({ length: 200 }, (_, i) => queue.enqueue({ kind: 'test', ref: `bulk-${i}`, tenantId: null, payload: `secret ${i}` })));
      // The same kind and ref again adds nothing.
      assert.equal(await queue.enqueue({ kind: 'test', ref: 'bulk-0', tenantId: null, payload: 'again' }), false);
      await queueDrained(server);
      assert.equal(seen.length, 200);
      assert.equal(new Set(seen).size, 200);
      for (let i = 0; i < 200; i++) assert.equal(calls.get(`bulk-${i}`), 1, `bulk-${i} handled once`);
      const rows = await db().selectFrom('delivery_jobs').select(['state', 'payload']).where('kind', '=', 'test').execute();
      assert.equal(rows.length, 200);
      assert.ok(rows.every((r) => r.state === 'done' && r.payload === null));
    });

    test('a payload is sealed at rest while queued', async () => {
      const queue = server.runtime.core.queue;
      await queue.enqueue({ kind: 'test', ref: 'later', tenantId: null, payload: 'the code 123456', runAt: Date.now() + 3_600_000 });
      const row = await job('later');
      assert.equal(row.state, 'queued');
      assert.match(row.payload!, /^gh1:/);
      assert.ok(!row.payload!.includes('123456'));
      await db().deleteFrom('delivery_jobs').where('key', '=', 'test:later').execute();
    });

    test('a retry waits its backoff and is tried the configured number of times, then fails once', async () => {
      behaviour = async () => ({ type: 'retry', error: 'HTTP 500' });
      await server.runtime.core.queue.enqueue({ kind: 'test', ref: 'flaky', tenantId: null, payload: 'x' });
      await queueDrained(server);
      assert.equal(calls.get('flaky'), 3);
      const row = await job('flaky');
      assert.equal(row.state, 'failed');
      assert.equal(row.last_error, 'gave up after 3 attempts: HTTP 500');
      assert.equal(row.payload, null);
      assert.deepEqual(ended.filter(([ref]) => ref === 'flaky'), [['flaky', 'failed', 'gave up after 3 attempts: HTTP 500']]);
    });

    test('Retry-After is honoured: the next try comes no sooner than asked', async () => {
      const times: number[] = [];
      behaviour = async (j) => {
        times.push(Date.now());
        return j.attempt === 1 ? { type: 'retry', error: '429', retryAfterMs: 400 } : { type: 'ok' };
      };
      await server.runtime.core.queue.enqueue({ kind: 'test', ref: 'slow-down', tenantId: null, payload: 'x' });
      await queueDrained(server);
      assert.equal(times.length, 2);
      assert.ok(times[1]! - times[0]! >= 390, `second try after ${times[1]! - times[0]!} ms`);
    });

    test('a worker that outlives its lease loses the job: it is claimed again and only the new claim is recorded', async () => {
      let first = true;
      behaviour = async () => {
        if (first) {
          first = false;
          // Longer than the 1 s lease: the job is due again and claimed meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 1_800));
          return { type: 'permanent', error: 'late result' };
        }
        return { type: 'ok' };
      };
      await server.runtime.core.queue.enqueue({ kind: 'test', ref: 'lease', tenantId: null, payload: 'x' });
      await queueDrained(server);
      await server.runtime.core.queue.idle();
      const row = await job('lease');
      assert.equal(calls.get('lease'), 2);
      assert.equal(row.state, 'done');
      assert.equal(Number(row.claims), 2);
      assert.deepEqual(ended.filter(([ref]) => ref === 'lease'), [['lease', 'done', null]]);
    });

    test('stats count what is queued and how old the oldest is', async () => {
      const queue = server.runtime.core.queue;
      await queue.enqueue({ kind: 'test', ref: 'parked', tenantId: null, payload: null, runAt: Date.now() + 3_600_000 });
      const stats = await queue.stats();
      assert.equal(stats.depth, 1);
      assert.ok(stats.oldestAgeMs >= 0 && stats.oldestAgeMs < 5_000);
      await sql`delete from delivery_jobs where key = 'test:parked'`.execute(db());
    });
  });
}
