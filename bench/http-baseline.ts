/**
 * bench/http-baseline: GET /ping through the whole Gatehouse stack (auth hook, access log, metrics,
 * request ids) against a bare Fastify hello-world, measured in the same run, interleaved, best of
 * BENCH_ROUNDS rounds of BENCH_SECONDS each.
 * Run: npm run build && node --import tsx bench/http-baseline.ts
 */
import { bestOf, measure, report, startGatehouse, startHelloWorld } from './lib.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const hello = await startHelloWorld();
const gatehouse = await startGatehouse();
try {
  await measure('warm-up', { url: `${gatehouse.url}/ping`, seconds: 2 });
  await measure('warm-up', { url: `${hello.url}/`, seconds: 2 });
  const [baseline, ping] = await bestOf(rounds, [
    { name: 'bare Fastify hello-world', load: { url: `${hello.url}/`, seconds } },
    { name: 'Gatehouse GET /ping (full stack)', load: { url: `${gatehouse.url}/ping`, seconds } },
  ]);
  report('http-baseline', baseline!, [ping!]);
  const overhead = (1 - ping!.rps / baseline!.rps) * 100;
  console.log(`\nstack overhead on /ping: ${overhead.toFixed(1)}% (target: under 25%), best of ${rounds} interleaved rounds of ${seconds} s`);
} finally {
  await hello.stop();
  await gatehouse.stop();
}
