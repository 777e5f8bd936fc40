/**
 * Hands the bootstrap credentials of a first start to the operator, once, never into the log: into
 * an owner-only file in the data folder, always (so the same command reads them whether the server
 * was started in a terminal or by a service manager), with one line on stderr saying where; and, when
 * stdout is a terminal (a person is watching), shown there as well. stdout is the JSON log when it is
 * not a terminal, and a collected log would keep the credentials.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BootstrapCredentials } from './core/bootstrap.js';

export const BOOTSTRAP_FILE = 'bootstrap-credentials.json';

interface Terminal {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function handOverBootstrap(credentials: BootstrapCredentials, dataDir: string, stdout: Terminal, stderr: Terminal): { file: string; onTerminal: boolean } {
  const text = JSON.stringify({ tenant: credentials.tenant, apiKey: credentials.apiKey }, null, 2);
  // wx: never overwrite. A file left from an earlier database is the operator's: write beside it.
  let file = path.join(dataDir, BOOTSTRAP_FILE);
  try {
    writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    file = path.join(dataDir, BOOTSTRAP_FILE.replace('.json', `-${Date.now()}.json`));
    writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  }
  if (stdout.isTTY) stdout.write(`\nGatehouse first start: bootstrap credentials (keep them safe)\n${text}\n\n`);
  stderr.write(`gatehouse: first start: bootstrap credentials written to ${file} (readable only by this user); keep them safe and delete the file\n`);
  return { file, onTerminal: stdout.isTTY === true };
}
