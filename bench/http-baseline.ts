/**
 * bench/http-baseline: GET /ping through the whole Gatehouse stack (auth hook, access log, metrics,
 * request ids) against a bare Fastify hello-world, measured in the same run, interleaved, in both
 * orders (lib's fairBestOf), best of BENCH_ROUNDS rounds of BENCH_SECONDS each, with wrk.
 * Run: npm run build && node --import tsx bench/http-baseline.ts
 */
import { type BenchServer, ensureWrk, fairBestOf, measure, report, startGatehouse, startHelloWorld, startInOrder } from './lib.js';

ensureWrk();
const [baseline, ping] = await fairBestOf(async (reversed) => {
  const [hello, gatehouse] = await startInOrder<BenchServer>([startHelloWorld, startGatehouse], reversed);
  await measure('warm-up', { url: `${gatehouse!.url}/ping`, seconds: 1 });
  await measure('warm-up', { url: `${hello!.url}/`, seconds: 1 });
  return {
    cases: [
      { name: 'bare Fastify hello-world', load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) },
      { name: 'Gatehouse GET /ping (full stack)', load: () => ({ url: `${gatehouse!.url}/ping`, pid: gatehouse!.child.pid }) },
    ],
    stop: async () => void (await Promise.all([hello!.stop(), gatehouse!.stop()])),
  };
});
if (!report('http-baseline', baseline!, [ping!])) process.exitCode = 1;
console.log(`\nstack overhead on /ping: ${((1 - ping!.rps / baseline!.rps) * 100).toFixed(1)}%`);
