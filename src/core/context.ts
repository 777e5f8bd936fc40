import type { Config } from '../config.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';
import type { Sealer } from './secrets/envelope.js';

/** What every core module is built from, handed over once at start. */
export interface CoreDeps {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  state: SharedState;
  sealer: Sealer;
  config: Config;
}
