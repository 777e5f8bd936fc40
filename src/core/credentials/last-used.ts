/**
 * "Last used" of API keys and auth tokens, written at most once a minute per credential and never on
 * the request's path: authenticating only notes the use in a map (no I/O); a timer writes what was
 * noted a moment later, all of it in one turn (on SQLite, one group commit: storage/statements.ts).
 *
 * Why these bounds: a credential used on every request would otherwise cost a write per request, the
 * very thing the hot path avoids. A minute is precise enough to tell a forgotten key from a busy one.
 * With several processes, each writes a credential at most once a minute, and the claim in shared
 * state (Redis) makes it once a minute for the whole deployment; the SQL only ever moves the time
 * forward, so a late write of an older use changes nothing.
 *
 * The writes use prepared statements, not Kysely: a use is not a change of configuration, so it must
 * not make this process's caches of credentials (core/fresh-cache.ts) read everything again.
 */
import type { SharedState } from '../../state/shared-state.js';
import type { Statements } from '../../storage/statements.js';

/** At most one write per credential in this long (ms). */
export const LAST_USED_EVERY_MS = 60_000;
/** How long uses gather before they are written together (ms). */
export const LAST_USED_BATCH_MS = 1_000;

export type CredentialKind = 'api_key' | 'auth_token';

export interface LastUsed {
  /** Notes a use; the hot path's only cost is this map lookup. */
  note(kind: CredentialKind, id: number, at: number): void;
  /** Writes what is noted now (tests, shutdown). */
  flush(): Promise<void>;
  /** Writes what is noted and stops the timer. */
  stop(): Promise<void>;
}

export function createLastUsed(statements: Statements, state: SharedState): LastUsed {
  const update = {
    api_key: statements.prepare('update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)'),
    auth_token: statements.prepare('update auth_tokens set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)'),
  };
  /** When this process last wrote (or will write) each credential: the once-a-minute rule. */
  const written = new Map<string, number>();
  let pending = new Map<string, { kind: CredentialKind; id: number; at: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  function note(kind: CredentialKind, id: number, at: number): void {
    const key = `${kind}:${id}`;
    const last = written.get(key);
    if (last !== undefined && at - last < LAST_USED_EVERY_MS) return;
    written.set(key, at);
    // A map of every credential ever used would grow without bound: forget entries older than the rule.
    if (written.size > 50_000) for (const [k, t] of written) if (at - t >= LAST_USED_EVERY_MS) written.delete(k);
    pending.set(key, { kind, id, at });
    if (!timer) {
      timer = setTimeout(() => void flush(), LAST_USED_BATCH_MS);
      timer.unref();
    }
  }

  async function write(batch: Map<string, { kind: CredentialKind; id: number; at: number }>): Promise<void> {
    const shared = state.backend === 'redis';
    await Promise.all(
      [...batch].map(async ([key, use]) => {
        // Another node wrote this credential within the minute: nothing to add.
        if (shared && !(await state.claim(`last-used:${key}`, LAST_USED_EVERY_MS))) return;
        await update[use.kind].run(use.at, use.id, use.at);
      }),
    );
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = new Map();
    // One flush at a time; a failed write is lost (it is a hint, not a record) and never fails a request.
    running = running.then(() => (batch.size ? write(batch) : undefined)).catch(() => {});
    return running;
  }

  return {
    note,
    flush,
    async stop() {
      await flush();
    },
  };
}
