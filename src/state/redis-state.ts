import { Redis } from 'ioredis';
import type { SharedState } from './shared-state.js';

const INCREMENT = `
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

export interface RedisState extends SharedState {
  /** The connection, for capabilities that need their own scripts (token buckets). */
  readonly redis: Redis;
  readonly prefix: string;
}

export async function createRedisState(url: string, prefix: string): Promise<RedisState> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', () => {}); // reported by the next command and by /readyz
  await redis.connect();
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
