/**
 * Waiting for the delivery queue: a test that reads the provider after a send waits for the queue to
 * drain (no job queued or running), by asking the database until it is so, not by sleeping a guess.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { TestServer } from './server.js';

/** Resolves once no delivery job is queued or running; fails after timeoutMs naming what is left. */
export async function queueDrained(server: Pick<TestServer, 'runtime'>, timeoutMs = 30_000): Promise<void> {
  return drainedIn(server.runtime.storage.db as Kysely<any>, timeoutMs);
}

/** The same against any database holding delivery_jobs (another process's, in multi-process tests). */
export async function drainedIn(db: Kysely<any>, timeoutMs = 30_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ n: number }>`select count(*) as n from delivery_jobs where state in ('queued', 'running')`.execute(db);
    const left = Number(r.rows[0]?.n ?? 0);
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`the delivery queue still holds ${left} job(s) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
