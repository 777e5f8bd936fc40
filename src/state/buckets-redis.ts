import type { Buckets } from './buckets.js';
import type { RedisState } from './redis-state.js';

/**
 * All buckets in one Lua script, so Redis runs the check and the take as one step for every
 * process. Each bucket is a hash {t = tokens, u = last update ms}, expiring once it is full again.
 * Time comes from the Redis server so that several Gatehouse nodes agree on it.
 */
const TAKE = `
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local n = #KEYS
local left = {}
for i = 1, n do
  local max = tonumber(ARGV[2 * i - 1])
  local interval = tonumber(ARGV[2 * i])
  local tokens = left[KEYS[i]]
  if tokens == nil then
    local state = redis.call('HMGET', KEYS[i], 't', 'u')
    if state[1] then
      tokens = math.min(max, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * max / interval)
    else
      tokens = max
    end
  end
  if tokens < 1 then return i end
  left[KEYS[i]] = tokens - 1
end
for i = 1, n do
  local max = tonumber(ARGV[2 * i - 1])
  local interval = tonumber(ARGV[2 * i])
  local tokens = left[KEYS[i]]
  redis.call('HSET', KEYS[i], 't', tostring(tokens), 'u', now)
  redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil((max - tokens) * interval / max)))
end
return 0`;

export function createRedisBuckets(state: RedisState): Buckets {
  state.redis.defineCommand('ghTakeBuckets', { lua: TAKE });
  return {
    async take(buckets) {
      if (buckets.length === 0) return { ok: true };
      const keys = buckets.map((b) => state.prefix + 'bucket:' + b.key);
      const args = buckets.flatMap((b) => [String(b.max), String(b.intervalMs)]);
      const result = Number(await (state.redis as any).ghTakeBuckets(keys.length, ...keys, ...args));
      return result === 0 ? { ok: true } : { ok: false, index: result - 1 };
    },
  };
}
