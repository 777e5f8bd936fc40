/**
 * The pruning timer of a node: a retention pass (retention.ts) every interval, never two at once in
 * this process, and stop() waits for the running one so that closing storage never cuts a batch.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../storage/database.js';
import { createRetention } from './retention.js';

export function startPruning(db: Db, dialect: 'sqlite' | 'postgres', settings: Config['retention']) {
  if (settings.intervalMs === 0) return { stop: async () => {} };
  const retention = createRetention(db, dialect, settings.days);
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = retention
      .prune({ onBatch: () => !stopped })
      .catch(() => {})
      .finally(() => (running = null));
  }, settings.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
