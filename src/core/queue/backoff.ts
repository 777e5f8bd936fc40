/**
 * The wait before a retry: exponential (base, 2·base, 4·base … up to max) with "equal jitter" (half
 * the step fixed, half random), so retries of many jobs that failed together spread out instead of
 * returning together, and no retry comes sooner than half its step.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}
