/**
 * Several `serve` processes sharing one fresh PostgreSQL database and one Redis prefix, for tests of
 * what must hold across nodes. The database is prepared in core first, before any node starts.
 */
import { loadConfig } from '../../src/config.js';
import type { Core } from '../../src/core/core.js';
import { openRuntime } from '../../src/runtime.js';
import { type ServerProcess, startServerProcess } from './process.js';
import { type TestDatabase, createTestDatabase, sharedNodesEnv } from './services.js';

export interface SharedNodes<T> {
  database: TestDatabase;
  nodes: ServerProcess[];
  /** What `prepare` answered. */
  prepared: T;
  /** Stops every node and drops the database. */
  stop(): Promise<void>;
}

export async function startSharedNodes<T>(prepare: (core: Core) => Promise<T>, options: { count?: number; env?: Record<string, string> } = {}): Promise<SharedNodes<T>> {
  const database = await createTestDatabase('postgres');
  const nodes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  };
  try {
    const env = { ...sharedNodesEnv(database), ...options.env };
    const runtime = await openRuntime(loadConfig({ NODE_ENV: 'test', ...env }));
    let prepared: T;
    try {
      prepared = await prepare(runtime.core);
    } finally {
      await runtime.close();
    }
    // One at a time: each finds the database migrated by the one before.
    for (let i = 0; i < (options.count ?? 2); i++) nodes.push(await startServerProcess(env));
    return { database, nodes, prepared, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
