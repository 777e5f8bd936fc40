/**
 * Everything a server or a CLI command needs, opened from the configuration in one place:
 * storage (migrated), shared state, the master keyring, channels and core.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Channel, ChannelName } from './channels/channel.js';
import { selectChannels } from './channels/select.js';
import type { Config } from './config.js';
import { type Core, createCore } from './core/core.js';
import { createSealer } from './core/secrets/envelope.js';
import { keyringFromEnv, keyringFromFile } from './core/secrets/keyring.js';
import { type BusinessCounters, createBusinessCounters } from './observability/business-metrics.js';
import { startTracing, tracedMethods } from './observability/tracing.js';
import { createRedisState } from './state/redis-state.js';
import type { SharedState } from './state/shared-state.js';
import { createSqlState } from './state/sql-state.js';
import { sweepBuckets } from './state/buckets-sql.js';
import { startPruning } from './core/growth/pruning.js';
import { dataDirRefusal, databaseRefusal, redisRefusal } from './start-refusals.js';
import { type Storage, migrate, openStorage } from './storage/storage.js';

export interface Runtime {
  config: Config;
  storage: Storage;
  state: SharedState;
  core: Core;
  /** The business counts core makes, for /metrics. */
  metrics: BusinessCounters;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, options: { migrate?: boolean } = {}): Promise<Runtime> {
  // Before storage opens: its queries make spans only when traces are on from the start.
  const tracing = await startTracing(config.otel);
  // The data folder holds the master key, the database and the first start's credentials: created
  // readable by its owner only, and refused at once when this user cannot write there.
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    accessSync(config.dataDir, constants.W_OK);
  } catch (err) {
    throw dataDirRefusal(config.dataDir, err);
  }
  const storage = openStorage(config.database);
  let state: SharedState | undefined;
  try {
    if (options.migrate !== false) {
      try {
        await migrate(storage.db);
      } catch (err) {
        throw databaseRefusal(config.database, err) ?? err;
      }
    }
    state = config.redis ? await connectRedis(config.redis) : createSqlState(storage.statements);
    const keyring = config.masterKey
      ? keyringFromEnv(config.masterKey.current, config.masterKey.previous)
      : keyringFromFile(config.dataDir);
    const sealer = createSealer(keyring);
    const metrics = createBusinessCounters();
    const core = await createCore(
      { db: storage.db, dialect: storage.dialect, statements: storage.statements, changes: storage.changes, state, sealer, config, metrics },
      providerCalls(config, selectChannels(config, storage.statements)),
    );
    const sweeper = setInterval(() => {
      void state?.sweep().catch(() => {});
      // Every backend: the default limit's buckets live in SQL (core/verifications/queries.ts).
      void sweepBuckets(storage.db).catch(() => {});
    }, 60_000);
    sweeper.unref();
    const pruning = startPruning(storage.db, storage.dialect, config.retention);
    return {
      config,
      storage,
      state,
      core,
      metrics,
      async close() {
        clearInterval(sweeper);
        await pruning.stop();
        // The uses noted in the last second are written before storage closes.
        await core.credentials.lastUsed.stop();
        await state?.close();
        await storage.close();
        await tracing?.flush();
      },
    };
  } catch (err) {
    await state?.close().catch(() => {});
    await storage.close().catch(() => {});
    throw err;
  }
}

/** Each channel's send in a span named for its provider and channel ("twilio sms send"): the provider calls. */
function providerCalls(config: Config, channels: Record<ChannelName, Channel>): Record<ChannelName, Channel> {
  const traced = (name: ChannelName) => tracedMethods(channels[name], `${config.channels[name]} ${name}`, { 'gatehouse.channel': name, 'gatehouse.provider': config.channels[name] });
  return { sms: traced('sms'), call: traced('call'), email: traced('email') };
}

async function connectRedis(redis: NonNullable<Config['redis']>): Promise<SharedState> {
  try {
    return await createRedisState(redis.url, redis.prefix);
  } catch (err) {
    throw redisRefusal(redis.url, err);
  }
}
