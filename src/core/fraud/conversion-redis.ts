/**
 * Conversion counts in Redis: one hash per tenant and prefix {slot, s, v, ps, pv, bu}, judged,
 * counted and blocked by one Lua script, which Redis runs as one step for every node. The time
 * comes from the caller (the guard's clock), so a test can play an hour in a second.
 */
import type { RedisState } from '../../state/redis-state.js';
import type { Admission, ConversionRule, ConversionStore } from './conversion.js';
import { slotOf } from './conversion.js';

// KEYS[1] the hash; ARGV: mode (admit|converted), slot, now, minSends, percent, until, ttl ms.
const SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'slot', 's', 'v', 'ps', 'pv', 'bu')
local slot = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local rs, s, v, ps, pv, bu = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
if rs == nil then rs = slot end
-- A node whose clock is a little behind another's never rolls the counts back.
if rs > slot then slot = rs end
if rs == slot - 1 then ps, pv, s, v = s, v, 0, 0 elseif rs ~= slot then ps, pv, s, v = 0, 0, 0, 0 end
local outcome = 'o'
if ARGV[1] == 'converted' then
  v = v + 1
else
  local sent, verified = s + ps, v + pv
  if bu > now then outcome = 'b'
  elseif sent >= tonumber(ARGV[4]) and verified * 100 < tonumber(ARGV[5]) * sent then outcome = 't'; bu = tonumber(ARGV[6])
  else s = s + 1 end
end
redis.call('HSET', KEYS[1], 'slot', slot, 's', s, 'v', v, 'ps', ps, 'pv', pv, 'bu', bu)
local ttl = tonumber(ARGV[7])
if bu > now and bu - now > ttl then ttl = bu - now end
redis.call('PEXPIRE', KEYS[1], ttl)
return {outcome, s + ps, v + pv, bu}`;

export function createRedisConversion(state: RedisState, rule: ConversionRule): ConversionStore {
  state.redis.defineCommand('ghFraudConversion', { numberOfKeys: 1, lua: SCRIPT });
  const key = (tenantId: number, prefix: string) => `${state.prefix}fraud:${tenantId}:${prefix}`;
  // Counts outlive the two half-windows they can matter in.
  const ttl = String(rule.windowMs + 60_000);
  const run = (tenantId: number, prefix: string, mode: string, now: number) =>
    (state.redis as any).ghFraudConversion(key(tenantId, prefix), mode, String(slotOf(now, rule)), String(now), String(rule.minSends), String(rule.minConversionPercent), String(now + rule.blockMs), ttl) as Promise<[string, number, number, number]>;
  return {
    async admit(tenantId, prefix, now): Promise<Admission> {
      const [o, sent, verified, bu] = await run(tenantId, prefix, 'admit', now);
      const outcome = o === 'b' ? 'blocked' : o === 't' ? 'tripped' : 'counted';
      return { outcome, sent: Number(sent) - (outcome === 'counted' ? 1 : 0), verified: Number(verified), blockedUntil: Number(bu) };
    },
    async converted(tenantId, prefix, now) {
      await run(tenantId, prefix, 'converted', now);
    },
    async lift(tenantId, prefix) {
      await state.redis.del(key(tenantId, prefix));
    },
  };
}
