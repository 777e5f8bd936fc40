/**
 * Shared benchmark plumbing. Servers run in their own process (as in production); load comes from
 * wrk, one thread (autocannon spent 18–40 µs of the shared cores per request, wrk 8–13 µs, which
 * flattened every ratio). Every run measures a bare Fastify hello-world next to the cases, in
 * interleaved rounds, so ratios mean something on any machine. Each case also reports the server's
 * own CPU time per request (from /proc/<pid>/stat), which the load generator cannot blur, and checks
 * its answers: a round where more than 1% of answers are not the expected status is an error.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** Measured rounds per case in all; inBothOrders runs half of them (rounded up) in each order. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Rounds in each order (inBothOrders). */
export const ORDER_ROUNDS = Math.ceil(ROUNDS / 2);
/** Loads a case takes at most: a warm-up and ORDER_ROUNDS rounds in each order. */
export const LOADS = 2 * (ORDER_ROUNDS + 1);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
/**
 * BENCH_PIN=1: the servers on CPU 0 and the load generators on CPU 1 (taskset). Unpinned, two servers
 * of the same build measured 2-6 µs apart on a verify, the one loaded second faster; pinned, 1-2 µs.
 * PostgreSQL and Redis stay where the system puts them.
 */
const PIN = process.env.BENCH_PIN === '1';
/** A command on one CPU when BENCH_PIN=1 (taskset execs it, so the process keeps its pid). */
const onCpu = (cpu: number, command: string, args: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);
const SCRATCH = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-wrk-'));

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** The first 20 kB the server printed (its first log lines and, on a first start, the bootstrap block). */
  output(): string;
  stop(): Promise<void>;
}

/** The servers still running: a bench that dies leaves none behind (one listener, however many servers a bench starts). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `startSeconds`: how long the server may take to print its address (a peer prepares its users first). */
export async function spawnServer(args: string[], env: Record<string, string>, startSeconds = 60): Promise<BenchServer> {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers under load.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(...onCpu(0, process.execPath, [...nodeArgs, ...args]), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, startSeconds * 1000);
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
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const startHelloWorld = () => spawnServer([path.join(ROOT, 'bench/hello-world.mjs')], {});

/** bench/floor-server.mjs: the least program doing a send's or a verify's durable work (DATABASE_URL: on PostgreSQL). */
export const startFloor = (env: Record<string, string> = {}) => spawnServer([path.join(ROOT, 'bench/floor-server.mjs')], env);

/**
 * Starts the built Gatehouse (dist/, run `npm run build` first) on a fresh SQLite file unless
 * DATABASE_URL is given. Logs go to the pipe and are discarded, as a real deployment's would go to
 * a collector: they are still written.
 */
export function startGatehouse(env: Record<string, string> = {}): Promise<BenchServer & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  return spawnServer([path.join(ROOT, 'dist/main.js'), 'serve'], { GATEHOUSE_DATA_DIR: dataDir, NODE_ENV: 'production', GATEHOUSE_OUTBOX: 'true', ...env }).then((s) => ({ ...s, dataDir }));
}

/** wrk, installed from the distribution when missing (Debian/Ubuntu: the `wrk` package). */
export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  console.log(`wrk is missing; running: ${[...sudo, 'apt-get', 'install', '-y', 'wrk'].join(' ')}`);
  const [cmd, ...args] = [...sudo, 'apt-get', 'install', '-y', 'wrk'];
  execFileSync(cmd!, args, { stdio: 'inherit' });
}

export interface Load {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** One body for every request. */
  body?: string;
  /** A file of bodies, one per line, sent in order (and again from the top when used up). */
  bodies?: string;
  /**
   * A file of requests, one per line, each `cookie<TAB>body` (see cookieBodiesFile): a request per line,
   * sent in order with its own Cookie header (and again from the top when used up).
   */
  cookieBodies?: string;
  /** JSON bodies for sends, each to a new recipient: the template's "{to}" becomes a number no other request of the run used. */
  sendTemplate?: string;
  /** The server's process, for its CPU time. */
  pid?: number;
  seconds?: number;
  /** The status every answer must have (200 unless said). */
  expect?: number;
}

export interface Measure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  /** Answers that were not the expected status, plus socket errors. */
  unexpected: number;
  /** The server process's CPU time (user + system) per answered request, in µs; null without a pid. */
  cpuUs: number | null;
}

let series = 100;
/**
 * Area codes whose every exchange 200–999 libphonenumber-js (max) finds valid: a send's recipient is a number
 * Gatehouse accepts (invalid numbers are refused since issue 23), and each series owns 1,000,000 of them.
 */
const AREA_CODES = ['415', '628', '650', '212', '646', '917', '312', '773', '213', '310', '617', '206', '303', '404', '305', '702', '512', '718', '202', '503'];
/** "+1" + an area code + an exchange's first digit (2–9) for this series; the request's 6 digits follow. */
const sendPrefix = (s: number) => `+1${AREA_CODES[Math.floor((s - 100) / 8) % AREA_CODES.length]}${2 + ((s - 100) % 8)}`;
const LUA = `
wrk.method = "POST"
-- JSON unless the load names its own type (Twilio's webhooks are form-encoded).
if wrk.headers["content-type"] == nil and wrk.headers["Content-Type"] == nil then
  wrk.headers["Content-Type"] = "application/json"
end
local mode, arg, prefix, template = nil, nil, nil, nil
local bodies, i, n = {}, 0, 0
function init(args)
  mode = args[1]
  if mode == "file" then
    for line in io.lines(args[2]) do bodies[#bodies + 1] = line end
  elseif mode == "cookies" then
    for line in io.lines(args[2]) do
      local tab = line:find("\t", 1, true)
      bodies[#bodies + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
    end
  else
    prefix = args[2]
    local f = io.open(args[3]); template = f:read("*a"); f:close()
  end
end
function request()
  if mode == "file" then
    i = i + 1
    if i > #bodies then i = 1 end
    return wrk.format(nil, nil, nil, bodies[i])
  end
  if mode == "cookies" then
    i = i + 1
    if i > #bodies then i = 1 end
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Cookie"] = bodies[i][1]
    return wrk.format(nil, nil, headers, bodies[i][2])
  end
  n = n + 1
  local body = template:gsub("{to}", prefix .. string.format("%06d", n))
  return wrk.format(nil, nil, nil, body)
end
`;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
}
const TICK_US = 1e6 / Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

/** wrk's latency figures ("812.00us", "3.41ms", "1.02s") in ms. */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/** What a load generator printed, once it exited; an exit other than 0 is an error. */
async function printed(what: string, [command, args]: [string, string[]]): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${out}`);
  return out;
}

export async function measure(name: string, load: Load): Promise<Measure> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${load.seconds ?? SECONDS}s`, '--latency', '--timeout', '10s'];
  for (const [k, v] of Object.entries(load.headers ?? {})) args.push('-H', `${k}: ${v}`);
  let scriptArgs: string[] = [];
  if (load.bodies || load.cookieBodies || load.sendTemplate || load.body) {
    const script = path.join(SCRATCH, 'load.lua');
    writeFileSync(script, LUA);
    args.push('-s', script);
    if (load.sendTemplate) {
      const template = path.join(SCRATCH, `template-${series}.json`);
      writeFileSync(template, load.sendTemplate);
      // A valid North American number: this series' prefix + 6 digits of the request's number, never reused.
      scriptArgs = ['send', sendPrefix(series++), template];
    } else if (load.cookieBodies) {
      scriptArgs = ['cookies', load.cookieBodies];
    } else {
      const file = load.bodies ?? path.join(SCRATCH, `body-${series++}.txt`);
      if (!load.bodies) writeFileSync(file, load.body!);
      scriptArgs = ['file', file];
    }
  }
  const before = load.pid ? cpuTicks(load.pid) : 0;
  const out = await printed('wrk', onCpu(1, 'wrk', [...args, load.url, ...(scriptArgs.length ? ['--', ...scriptArgs] : [])]));
  const after = load.pid ? cpuTicks(load.pid) : 0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const latency = /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  const pct = (p: string) => ms(new RegExp(`\\s${p}%\\s+(\\S+)`).exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  // wrk counts only 2xx/3xx as good; every benchmark here expects 200.
  if ((load.expect ?? 200) !== 200) throw new Error('only loads expecting 200 are supported');
  return {
    name,
    rps: Math.round(rps),
    p50: pct('50'),
    p99: pct('99'),
    max: latency ? ms(latency[3]!) : NaN,
    requests,
    unexpected: non2xx + socketErrors,
    cpuUs: load.pid && requests ? Math.round(((after - before) * TICK_US) / requests) : null,
  };
}

/** A steady-state measure (bench/steady-client.mjs): what wrk's rounds give, and the ramp. */
export interface SteadyMeasure extends Measure {
  p999: number;
  /** From opening the connections to the last one's first answer, in ms (not in the other figures). */
  ramp: number;
}

/**
 * The latency of `load` under a steady load of CONNECTIONS clients: measured by bench/steady-client.mjs
 * once every connection has had its first answer, so that it leaves out the moment the connections
 * open at once, which it measures apart as `ramp` (wrk counts it in its figures; see the client).
 */
export async function measureSteady(name: string, load: Load): Promise<SteadyMeasure> {
  const spec = {
    url: load.url,
    method: load.method,
    headers: load.headers,
    body: load.body,
    bodies: load.bodies,
    sendTemplate: load.sendTemplate,
    prefix: sendPrefix(series++),
    seconds: load.seconds ?? SECONDS,
    connections: CONNECTIONS,
  };
  if (load.cookieBodies) throw new Error('measureSteady does not send cookies');
  const out = await printed('steady-client', onCpu(1, process.execPath, [path.join(ROOT, 'bench/steady-client.mjs'), JSON.stringify(spec)]));
  // No CPU figure: the server's CPU time would count the ramp, which the requests do not.
  return { name, ...(JSON.parse(out) as Omit<SteadyMeasure, 'name' | 'cpuUs'>), cpuUs: null };
}

export const failed = (m: Pick<Measure, 'requests' | 'unexpected'>) => m.requests === 0 || m.unexpected > m.requests * 0.01;

export interface Case {
  name: string;
  /** Built afresh for each round (a verify round needs codes nobody has used). */
  load: () => Load | Promise<Load>;
  /** The row of the floor this case is compared with. */
  floor?: string;
  /** Runs after each round with its measure (a verify pool learns how many codes a round uses). */
  after?: (m: Measure) => void;
}

/** Whether `m` is a better round than `prev`: a good round beats a bad one, then the most req/s (of bad ones, the worst). */
export function better(prev: Measure | undefined, m: Measure): boolean {
  if (!prev) return true;
  if (failed(prev) !== failed(m)) return failed(prev);
  return failed(m) ? m.unexpected > prev.unexpected : m.rps > prev.rps;
}

/**
 * Warms each case up for BENCH_WARMUP seconds, then measures it `rounds` times, interleaved (a, b, c,
 * a, b, c, …) so that a burst of noise on a shared machine hits every case alike. Answers every round.
 */
export async function interleaved(cases: Case[], rounds = ROUNDS): Promise<Measure[]> {
  // Unmeasured first: the JIT, the plan caches and the pools warm up here, not in round one.
  for (const c of cases) c.after?.(await measure(c.name, { ...(await c.load()), seconds: WARMUP }));
  const all: Measure[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      const m = await measure(c.name, await c.load());
      c.after?.(m);
      all.push(m);
    }
  }
  return all;
}

/** Each name's best good round (the most the server did); a name with no good round keeps its worst, to be reported as the error it is. */
export function bestRounds(names: string[], rounds: Measure[]): Measure[] {
  const best = new Map<string, Measure>();
  for (const m of rounds) if (better(best.get(m.name), m)) best.set(m.name, m);
  return names.map((n) => best.get(n)!);
}

/** The servers of one order: the cases to measure on them, and how to stop them. */
export interface Pass {
  cases: Case[];
  stop(): Promise<void>;
}

/**
 * Runs a comparison twice, each time on servers started afresh: once started, and measured in each
 * round, in the order given, then in the reverse order; half of ROUNDS (rounded up) in each. Of two
 * servers of one build, the one started and loaded second measured 2-6 µs a verify faster (4-11%):
 * in one order only, the order would decide part of every ratio. `setup(reversed)` starts the servers
 * (startInOrder) and answers its cases in their usual order; `run` measures them. Answers each order's
 * result, and the cases in their usual order (for the report's rows).
 */
export async function inBothOrders<T>(setup: (reversed: boolean) => Promise<Pass>, run: (cases: Case[], rounds: number) => Promise<T>): Promise<{ cases: Case[]; results: T[] }> {
  const results: T[] = [];
  let cases: Case[] = [];
  for (const reversed of [false, true]) {
    const pass = await setup(reversed);
    cases = pass.cases;
    try {
      results.push(await run(reversed ? [...cases].reverse() : cases, ORDER_ROUNDS));
    } finally {
      await pass.stop();
    }
  }
  return { cases, results };
}

/** inBothOrders with interleaved rounds: each case's best round of both orders, in the order setup lists them. */
export async function fairBestOf(setup: (reversed: boolean) => Promise<Pass>): Promise<Measure[]> {
  const { cases, results } = await inBothOrders(setup, interleaved);
  return bestRounds(cases.map((c) => c.name), results.flat());
}

/** What `work` answers; when it fails, `stop` runs first (a setup that checks its servers before it answers its pass). */
export async function stopping<T>(stop: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts servers one after another, the last first when `reversed`, and answers them in the order
 * given. When one fails to start, those already started are stopped.
 */
export async function startInOrder<T extends { stop(): Promise<void> }>(starters: Array<() => Promise<T>>, reversed: boolean): Promise<T[]> {
  const started: T[] = new Array(starters.length);
  const order = starters.map((_, i) => i);
  if (reversed) order.reverse();
  try {
    for (const i of order) started[i] = await starters[i]!();
  } catch (err) {
    await Promise.all(started.filter(Boolean).map((s) => s.stop()));
    throw err;
  }
  return started;
}

/** A row of a printed table: the case's name, then right-aligned figures. */
const tableLine = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(48) : c.padStart(9))).join(' ');

/** bench/results/<file>.json: what a benchmark measured, with the settings it ran with (bench/targets.ts reads it). */
function saveResult(file: string, measured: object): void {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results', `${file}.json`), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, ...measured }, null, 2));
}

/** A case's latency over its steady rounds: the worst round's p99, the highest max, the longest ramp. */
export interface SteadyRow {
  name: string;
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  ramp: number;
  requests: number;
  unexpected: number;
}

/** Measures each case `rounds` times with measureSteady, interleaved as `interleaved` does. Answers every round. */
export async function steadyRounds(cases: Case[], rounds = ROUNDS): Promise<SteadyMeasure[]> {
  const all: SteadyMeasure[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      const m = await measureSteady(c.name, await c.load());
      c.after?.(m);
      all.push(m);
    }
  }
  return all;
}

/**
 * Each name's latency over its steady rounds: the worst of every round, not the best, for a latency
 * target holds in every round or it does not hold.
 */
export function steadyOf(names: string[], rounds: SteadyMeasure[]): SteadyRow[] {
  return names.map((name) => {
    const ms = rounds.filter((m) => m.name === name);
    const worst = (f: (m: SteadyMeasure) => number) => Math.max(...ms.map(f));
    return {
      name,
      rounds: ms.length,
      rps: Math.min(...ms.map((m) => m.rps)),
      p50: worst((m) => m.p50),
      p99: worst((m) => m.p99),
      p999: worst((m) => m.p999),
      max: worst((m) => m.max),
      ramp: worst((m) => m.ramp),
      requests: ms.reduce((a, m) => a + m.requests, 0),
      unexpected: ms.reduce((a, m) => a + m.unexpected, 0),
    };
  });
}

/** Prints steadyOf's rows and writes bench/results/<file>.json. Answers whether every row was good. */
export function reportSteady(file: string, rows: SteadyRow[]): boolean {
  console.log(tableLine(['case (worst of the rounds)', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'ramp ms', 'bad %']));
  let good = true;
  for (const r of rows) {
    const bad = failed(r);
    if (bad) good = false;
    const f = (n: number, d: number) => n.toFixed(d);
    console.log(tableLine([r.name, bad ? 'ERROR' : String(r.rps), f(r.p50, 2), f(r.p99, 2), f(r.p999, 2), f(r.max, 1), f(r.ramp, 0), f(r.requests ? (r.unexpected / r.requests) * 100 : 100, 2)]));
  }
  if (!good) console.log('ERROR: a case had more than 1% unexpected answers (or none at all); its figures are not a measurement');
  saveResult(file, { rows });
  return good;
}

/**
 * Prints the rows as a table (ratio to the hello-world baseline and to each row's floor) and writes
 * bench/results/<file>.json. Answers whether every row was good.
 */
export function report(file: string, baseline: Measure, rows: Array<Measure & { floor?: string }>): boolean {
  const all: Array<Measure & { floor?: string }> = [baseline, ...rows];
  const byName = new Map(all.map((r) => [r.name, r]));
  console.log(tableLine(['case', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'vs hello', 'vs floor', 'CPU µs', 'bad %']));
  let good = true;
  for (const r of all) {
    const floor = r.floor ? byName.get(r.floor) : undefined;
    const bad = r.requests ? (r.unexpected / r.requests) * 100 : 100;
    if (failed(r)) good = false;
    console.log(
      tableLine([
        r.name,
        failed(r) ? 'ERROR' : String(r.rps),
        r.p50.toFixed(2),
        r.p99.toFixed(2),
        r.max.toFixed(1),
        `${((r.rps / baseline.rps) * 100).toFixed(1)}%`,
        floor ? `${((r.rps / floor.rps) * 100).toFixed(0)}%` : '',
        r.cpuUs === null ? '' : String(r.cpuUs),
        bad.toFixed(2),
      ]),
    );
  }
  if (!good) console.log('ERROR: a case had more than 1% unexpected answers (or none at all); its req/s is not a measurement');
  saveResult(file, { baseline, rows });
  return good;
}

/** A file of requests for a `cookieBodies` load: each its Cookie header's value and its body (neither may hold a tab or a newline). */
export function cookieBodiesFile(name: string, requests: Array<{ cookie: string; body: string }>): string {
  for (const r of requests) if (/[\t\r\n]/.test(r.cookie + r.body)) throw new Error('a cookie or a body holds a tab or a newline');
  return bodiesFile(name, requests.map((r) => `${r.cookie}\t${r.body}`));
}

/** A file of bodies for a `bodies` load. */
export function bodiesFile(name: string, lines: string[]): string {
  const file = path.join(SCRATCH, `${name}-${series++}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
