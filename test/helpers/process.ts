/**
 * Runs the real CLI in a child process (`node --import tsx src/main.ts …`), for tests that need
 * separate processes: several nodes on one database, SIGTERM, the command line itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test' };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runToEnd(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env: { ...BASE_ENV, ...env } });
}

/** Runs a program to completion and keeps what it printed. */
export async function runToEnd(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  const child = spawn(command, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed on stdout (its JSON log lines). */
  output(): string;
  /** Everything it printed on stderr (where the first start says where its bootstrap credentials are). */
  errors(): string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `gatehouse serve` on a random port and waits until it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...BASE_ENV, HOST: '127.0.0.1', PORT: '0', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that did not start is stopped, else it holds the test process open after the failure.
    const timer = setTimeout(() => (child.kill(), reject(new Error(`server did not start in 30 s:\n${out}\n${err}`))), 30_000);
    const onData = () => {
      const m = /"address":"(http:\/\/[^"]+)"[^\n]*"msg":"gatehouse listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    errors: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** The credentials a first `serve` wrote into its data folder (its stdout is not a terminal). */
export function bootstrapCredentials(dataDir: string): { tenant: { id: number; sid: string; authToken: string }; apiKey: string } {
  return JSON.parse(readFileSync(path.join(dataDir, 'bootstrap-credentials.json'), 'utf8'));
}
