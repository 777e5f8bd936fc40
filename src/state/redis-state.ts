import { createRequire } from 'node:module';
import type { Command, Redis } from 'ioredis';
import { activeTracing, traced } from '../observability/tracing.js';
import type { SharedState } from './shared-state.js';

const INCREMENT = `
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

/** Redis answers in well under a millisecond; half a second without an answer is an outage. */
export const COMMAND_TIMEOUT_MS = 500;

export interface RedisState extends SharedState {
  /** The connection, for capabilities that need their own scripts (token buckets). */
  readonly redis: Redis;
  readonly prefix: string;
}

/**
 * With traces on, a span per Redis command, the token buckets' scripts included ("redis evalsha"):
 * named by the command, never its keys or arguments (a key holds an email's hash or an address).
 */
function traceCommands(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Command, stream?: never) =>
    traced(`redis ${command.name}`, { 'db.system.name': 'redis', 'db.operation.name': command.name }, async () => send(command, stream))) as typeof redis.sendCommand;
}

export async function createRedisState(url: string, prefix: string): Promise<RedisState> {
  // Loaded only by a deployment that shares its state through Redis.
  const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  // An outage must fail a request fast (a 503, storage/errors.ts), not hold it: a command waits at
  // most COMMAND_TIMEOUT_MS for its answer, and none is queued while the connection is down.
  const redis = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000 });
  // Reported by the next command and by /readyz; the last one says why a first connect failed.
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    // Else the client keeps reconnecting and holds the process open.
    redis.disconnect();
    throw lastError ?? err;
  }
  if (activeTracing()) traceCommands(redis);
  redis.defineCommand('ghIncrement', { numberOfKeys: 1, lua: INCREMENT });
  const k = (key: string) => prefix + key;
  return {
    backend: 'redis',
    redis,
    prefix,
    async claim(key, ttlMs) {
      return (await redis.set(k(key), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async increment(key, ttlMs) {
      return Number(await (redis as any).ghIncrement(k(key), ttlMs));
    },
    async release(key) {
      await redis.del(k(key));
    },
    async sweep() {},
    async ping() {
      await redis.ping();
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
