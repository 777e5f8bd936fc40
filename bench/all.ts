/**
 * `npm run bench`: every benchmark in turn, each in its own process, all of them even when one
 * reports an error; exits 1 when any did.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib.js';

let failed = 0;
for (const bench of ['http-baseline', 'otp', 'totp', 'peers', 'flexisip', 'voice', 'idle-memory']) {
  console.log(`\n== bench/${bench}.ts`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
// The targets of the performance work against what this run measured.
console.log('\n== targets');
spawnSync(process.execPath, ['--import', 'tsx', 'bench/targets.ts'], { cwd: ROOT, stdio: 'inherit' });
if (failed) {
  console.log(`\n${failed} benchmark(s) reported an error`);
  process.exitCode = 1;
}
