/**
 * bench/http-baseline: GET /ping through the whole Gatehouse stack (auth hook, logging, metrics,
 * request ids) against a bare Fastify hello-world, measured in the same run.
 * Run: npm run build && node --import tsx bench/http-baseline.ts
 */
import { measure, report, startGatehouse, startHelloWorld } from './lib.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const hello = await startHelloWorld();
const baseline = await measure('bare Fastify hello-world', { url: `${hello.url}/`, seconds });
await hello.stop();

const gatehouse = await startGatehouse();
await measure('warm-up', { url: `${gatehouse.url}/ping`, seconds: 2 });
const ping = await measure('Gatehouse GET /ping (full stack)', { url: `${gatehouse.url}/ping`, seconds });
await gatehouse.stop();

report('http-baseline', baseline, [ping]);
const overhead = (1 - ping.rps / baseline.rps) * 100;
console.log(`\nstack overhead on /ping: ${overhead.toFixed(1)}% (target: under 25%)`);
