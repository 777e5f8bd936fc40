import type { Config } from '../config.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';
import type { Changes } from '../storage/changes.js';
import type { Statements } from '../storage/statements.js';
import type { BusinessMetrics } from './metrics.js';
import type { Sealer } from './secrets/envelope.js';

/** What every core module is built from, handed over once at start. */
export interface CoreDeps {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** Prepared statements for the hot paths; everything else uses db. */
  statements: Statements;
  /** This process's configuration writes, for caches (core/fresh-cache.ts). */
  changes: Changes;
  state: SharedState;
  sealer: Sealer;
  config: Config;
  /** Business counts (sign-ins, codes, locks): /metrics shows them. */
  metrics: BusinessMetrics;
}
