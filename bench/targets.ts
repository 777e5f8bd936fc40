/**
 * The targets table `npm run bench` ends with: each target of the performance work next to what this
 * run measured, read from bench/results/*.json (written by the benchmarks that ran just before).
 * Run alone after the benchmarks: node --import tsx bench/targets.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib.js';

interface Row {
  name: string;
  rps: number;
  p99: number;
  max: number;
  cpuUs: number | null;
  floor?: string;
}
interface Result {
  date: string;
  baseline: Row;
  rows: Row[];
}

function result<T = Result>(file: string): T | undefined {
  const at = path.join(ROOT, 'bench/results', `${file}.json`);
  return existsSync(at) ? (JSON.parse(readFileSync(at, 'utf8')) as T) : undefined;
}

const pct = (n: number) => `${n.toFixed(1)}%`;

interface Target {
  name: string;
  /** What was measured, and whether it meets the target; undefined when the benchmark did not run. */
  measure(): { shown: string; met: boolean } | undefined;
  target: string;
}

/** A row's req/s as a share of the hello-world measured in the same run, and of its floor when it has one. */
function ratio(file: string, row: string, min: number): Target['measure'] {
  return () => {
    const r = result(file);
    const found = r?.rows.find((x) => x.name === row);
    if (!r || !found) return undefined;
    const share = (found.rps / r.baseline.rps) * 100;
    const floor = found.floor ? r.rows.find((x) => x.name === found.floor) : undefined;
    const ofFloor = floor ? ` (${((found.rps / floor.rps) * 100).toFixed(0)}% of its floor, which measured ${pct((floor.rps / r.baseline.rps) * 100)})` : '';
    return { shown: `${pct(share)}${ofFloor}, ${found.cpuUs ?? '?'} µs CPU`, met: share >= min };
  };
}

const TARGETS: Target[] = [
  { name: 'verify, SQLite', measure: ratio('otp', 'POST /2fa/verify, SQLite', 36), target: '>= 36% of hello' },
  { name: 'send, SQLite', measure: ratio('otp', 'POST /2fa/send, SQLite', 28), target: '>= 28% of hello' },
  { name: '/global/endlogin, SQLite', measure: ratio('totp', 'POST /global/endlogin, SQLite', 7), target: '>= 7% of hello' },
  { name: '/2fa/code:verify, SQLite', measure: ratio('totp', 'POST /2fa/code:verify, SQLite', 20), target: '>= 20% of hello' },
  { name: 'verify, PostgreSQL + Redis', measure: ratio('otp', 'POST /2fa/verify, PostgreSQL + Redis', 10), target: '>= 10% of hello' },
  { name: 'send, PostgreSQL + Redis', measure: ratio('otp', 'POST /2fa/send, PostgreSQL + Redis', 10), target: '>= 10% of hello' },
  {
    name: 'latency, SQLite, 50 connections',
    // The steady rounds (bench/steady-client.mjs), worst round of each; wrk's rounds beside them count
    // the moment 50 connections open at once, which Node serves one accept per event-loop turn.
    measure: () => {
      const steady = result<{ rows: Array<{ name: string; p99: number; max: number }> }>('latency')?.rows ?? [];
      const ours = steady.filter((r) => r.name.startsWith('POST /2fa/'));
      const wrk = result('otp')?.rows.filter((r) => r.name.startsWith('POST /2fa/') && r.name.endsWith(', SQLite')) ?? [];
      if (!ours.length) return undefined;
      const worst = (rows: Array<{ p99: number; max: number }>, f: 'p99' | 'max') => Math.max(...rows.map((r) => r[f]));
      const floors = steady.filter((r) => r.name.startsWith('floor: '));
      const p99 = worst(ours, 'p99');
      const max = worst(ours, 'max');
      const beside = [
        floors.length ? `floors p99 ${worst(floors, 'p99').toFixed(1)}, max ${worst(floors, 'max').toFixed(0)}` : '',
        wrk.length ? `wrk with the ramp: p99 ${worst(wrk, 'p99').toFixed(1)}, max ${worst(wrk, 'max').toFixed(0)}` : '',
      ].filter(Boolean);
      return { shown: `steady: p99 ${p99.toFixed(1)} ms, max ${max.toFixed(0)} ms (send, verify; ${beside.join('; ')})`, met: p99 < 10 && max < 40 };
    },
    target: 'p99 < 10 ms, max < 40 ms',
  },
  {
    name: 'idle RSS',
    measure: () => {
      const at = path.join(ROOT, 'bench/results/idle-memory.json');
      if (!existsSync(at)) return undefined;
      const r = JSON.parse(readFileSync(at, 'utf8')) as { rows: Array<{ name: string; lastMb: number }> };
      const [hello, gatehouse] = r.rows;
      return { shown: `${gatehouse!.lastMb.toFixed(0)} MB (hello-world ${hello!.lastMb.toFixed(0)} MB)`, met: gatehouse!.lastMb <= 100 };
    },
    target: '<= 100 MB',
  },
  {
    name: 'endlogin vs better-auth, SQLite',
    measure: () => {
      const r = result('peers');
      const [ours, theirs] = r?.rows ?? [];
      if (!ours || !theirs) return undefined;
      const times = ours.rps / theirs.rps;
      return { shown: `${times.toFixed(1)}× (${ours.rps} vs ${theirs.rps} req/s)`, met: times >= 15 };
    },
    target: '>= 15×',
  },
  { name: 'Flexisip /api/accounts/me by API key, SQLite', measure: ratio('flexisip', 'GET /api/accounts/me by API key (SQLite)', 35), target: '>= 35% of hello' },
  { name: 'voice webhook, inbound call, SQLite', measure: ratio('voice', 'POST /voicetwilio/voice inbound, SQLite', 40), target: '>= 40% of hello' },
];

const line = (cells: string[]) => cells.map((c, i) => c.padEnd([46, 62, 26][i] ?? 0)).join(' ');
console.log(line(['case', 'measured (req/s vs hello-world in the same run)', 'target', 'met']));
for (const t of TARGETS) {
  const m = t.measure();
  console.log(line([t.name, m?.shown ?? 'not run', t.target, m ? (m.met ? 'yes' : 'NO') : '']));
}
