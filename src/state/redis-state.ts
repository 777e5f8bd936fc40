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

/**
 * While Redis is gone, try to reconnect every 100 ms, for as long as it takes. ioredis's default
 * backs off exponentially to 5 s, so after an outage of a few seconds every request kept failing
 * for seconds after Redis was back (4.2 s measured); one connection attempt a tenth of a second is
 * nothing to a server that is down, and brings a returning one back within about 100 ms.
 */
export const RECONNECT_EVERY_MS = 100;

/** How long a start waits for Redis after a failed first connection attempt before refusing to start. */
const FIRST_CONNECT_GRACE_MS = 3000;

function readyWithin(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    redis.once('ready', onReady);
  });
}

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
  const redis = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000, retryStrategy: () => RECONNECT_EVERY_MS });
  // Reported by the next command and by /readyz; the last one says why a first connect failed.
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    // One failed first attempt (a loaded machine, a Redis still starting) is not an outage: the client is
    // already retrying. Past the grace, give up; else it keeps reconnecting and holds the process open.
    if (!(await readyWithin(redis, FIRST_CONNECT_GRACE_MS))) {
      redis.disconnect();
      throw lastError ?? err;
    }
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
    async count(key) {
      return Number((await redis.get(k(key))) ?? 0);
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
