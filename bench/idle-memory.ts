/**
 * bench/idle-memory: the resident memory (VmRSS) of an idle Gatehouse — `npm start`'s configuration,
 * embedded SQLite — next to the bare Fastify hello-world, both started side by side and left alone.
 * Each is sampled once a second for BENCH_IDLE_SECONDS (60: V8 gives back the memory of start-up some 30–45 s into an idle life); the table shows the RSS one second after
 * start and at the end of the wait, which is what an idle node holds. Target: Gatehouse ≤ 100 MB.
 * Run: npm run build && node --import tsx bench/idle-memory.ts
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, startGatehouse, startHelloWorld } from './lib.js';

const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const TARGET_MB = 100;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const hello = await startHelloWorld();
const gatehouse = await startGatehouse();
try {
  // One request each, as a node that has served something (and loaded its request path) would have.
  for (const url of [`${hello.url}/`, `${gatehouse.url}/ping`]) if (!(await fetch(url)).ok) throw new Error(`${url} did not answer`);
  const servers = [
    { name: 'bare Fastify hello-world', pid: hello.child.pid! },
    { name: 'Gatehouse, SQLite (npm start)', pid: gatehouse.child.pid! },
  ];
  await sleep(1000);
  const first = servers.map((s) => rssMb(s.pid));
  for (let i = 1; i < SECONDS; i++) await sleep(1000);
  const last = servers.map((s) => rssMb(s.pid));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(32) : c.padStart(14))).join(' ');
  console.log(line(['process', 'RSS after 1 s', `after ${SECONDS} s`]));
  servers.forEach((s, i) => console.log(line([s.name, `${first[i]!.toFixed(1)} MB`, `${last[i]!.toFixed(1)} MB`])));
  const idle = last[1]!;
  console.log(`\ntarget: Gatehouse idle RSS <= ${TARGET_MB} MB: ${idle <= TARGET_MB ? 'met' : 'NOT met'} (${idle.toFixed(1)} MB)`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(ROOT, 'bench/results/idle-memory.json'),
    JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, rows: servers.map((s, i) => ({ name: s.name, firstMb: first[i], lastMb: last[i] })) }, null, 2),
  );
} finally {
  await Promise.all([hello.stop(), gatehouse.stop()]);
}
