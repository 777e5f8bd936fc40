/**
 * Shared benchmark plumbing: servers run in their own process (as in production, and so the load
 * generator does not share their event loop), load comes from autocannon in this process, and every
 * run measures a bare Fastify hello-world next to Gatehouse so the ratio means something on any machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** The first 20 kB the server printed (its first log lines and, on a first start, the bootstrap block). */
  output(): string;
  stop(): Promise<void>;
}

async function spawnServer(args: string[], env: Record<string, string>): Promise<BenchServer> {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers under load.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, 60_000);
    child.stdout!.on('data', (d) => {
      // Keep only what is needed to find the address; the rest of the log is dropped.
      if (out.length < 20_000) out += d;
      const m = /"address":"(http:\/\/[^"]+)"[^\n]*"msg":"gatehouse listening"|"msg":"gatehouse listening","address":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve((m[1] ?? m[2])!);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const startHelloWorld = () => spawnServer([path.join(ROOT, 'bench/hello-world.mjs')], {});

/** bench/floor-server.mjs: Gatehouse's send and verify statements behind a bare Fastify route. */
export const startFloor = () => spawnServer([path.join(ROOT, 'bench/floor-server.mjs')], {});

/**
 * Starts the built Gatehouse (dist/, run `npm run build` first) on a fresh SQLite file unless
 * DATABASE_URL is given. Logs go to the pipe and are discarded, as a real deployment's would go to
 * a collector: they are still written.
 */
export function startGatehouse(env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  return spawnServer([path.join(ROOT, 'dist/main.js'), 'serve'], { GATEHOUSE_DATA_DIR: dataDir, NODE_ENV: 'production', GATEHOUSE_OUTBOX: 'true', ...env });
}

export interface Load {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Per-request bodies, for loads where each request must differ. */
  setupRequest?: (request: autocannon.Request, context: object) => autocannon.Request;
  connections?: number;
  seconds?: number;
}

export interface Measure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function measure(name: string, load: Load): Promise<Measure> {
  const result = await autocannon({
    url: load.url,
    method: load.method ?? 'GET',
    headers: load.headers,
    body: load.body,
    connections: load.connections ?? 50,
    duration: load.seconds ?? 5,
    ...(load.setupRequest && { requests: [{ setupRequest: load.setupRequest }] }),
  });
  return {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * Measures each load `rounds` times, interleaved (a, b, c, a, b, c, …) so that a burst of noise on a
 * shared machine hits every case alike, and keeps each case's best round: the most the server did.
 */
export async function bestOf(rounds: number, cases: Array<{ name: string; load: Load }>): Promise<Measure[]> {
  const best = new Map<string, Measure>();
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      const m = await measure(c.name, c.load);
      const prev = best.get(c.name);
      if (!prev || m.rps > prev.rps) best.set(c.name, m);
    }
  }
  return cases.map((c) => best.get(c.name)!);
}

/** Prints the rows as a table with each one's ratio to the baseline row, and writes bench/results/<file>.json. */
export function report(file: string, baseline: Measure, rows: Measure[]): void {
  const all = [baseline, ...rows];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(44) : c.padStart(10))).join(' ');
  console.log(line(['case', 'req/s', 'p50 ms', 'p99 ms', 'vs hello', 'errors']));
  for (const r of all) {
    console.log(line([r.name, String(r.rps), String(r.p50), String(r.p99), `${((r.rps / baseline.rps) * 100).toFixed(1)}%`, String(r.errors + r.non2xx)]));
  }
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results', `${file}.json`), JSON.stringify({ date: new Date().toISOString(), baseline, rows }, null, 2));
}
