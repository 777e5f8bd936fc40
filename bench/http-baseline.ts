/**
 * bench/http-baseline: GET /ping through the whole Gatehouse stack (auth hook, access log, metrics,
 * request ids) against a bare Fastify hello-world, measured in the same run, interleaved, best of
 * BENCH_ROUNDS rounds of BENCH_SECONDS each, with wrk.
 * Run: npm run build && node --import tsx bench/http-baseline.ts
 */
import { bestOf, ensureWrk, measure, report, startGatehouse, startHelloWorld } from './lib.js';

ensureWrk();
const hello = await startHelloWorld();
const gatehouse = await startGatehouse();
let good = false;
try {
  await measure('warm-up', { url: `${gatehouse.url}/ping` , seconds: 1 });
  await measure('warm-up', { url: `${hello.url}/`, seconds: 1 });
  const [baseline, ping] = await bestOf([
    { name: 'bare Fastify hello-world', load: () => ({ url: `${hello.url}/`, pid: hello.child.pid }) },
    { name: 'Gatehouse GET /ping (full stack)', load: () => ({ url: `${gatehouse.url}/ping`, pid: gatehouse.child.pid }) },
  ]);
  good = report('http-baseline', baseline!, [ping!]);
  console.log(`\nstack overhead on /ping: ${((1 - ping!.rps / baseline!.rps) * 100).toFixed(1)}%`);
} finally {
  await hello.stop();
  await gatehouse.stop();
}
if (!good) process.exitCode = 1;
