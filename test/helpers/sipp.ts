/**
 * SIPp (Debian's sip-tester) as a child process of a test: a scenario from sip/sipp/ with its
 * {{NAME}} placeholders filled in, on a UDP port chosen free at test time.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP_DIR = fileURLToPath(new URL('../../sip/sipp/', import.meta.url));

/** A UDP port nobody listens on right now (the kernel's choice for port 0). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A literal for a POSIX extended regular expression, then for an XML attribute. */
export const ereLiteral = (value: string) =>
  value.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface SippRun {
  port: number;
  child: ChildProcess;
  /** Waits for SIPp to finish; its exit code is 0 when every call succeeded. */
  done(): Promise<{ code: number | null; output: string }>;
  stop(): Promise<void>;
}

/**
 * Starts SIPp on a scenario (a file of sip/sipp/), filled with `vars`, and waits until it listens.
 * `localIp`: another loopback address (127.0.0.2, …) plays another source.
 */
export async function startSipp(
  scenario: string,
  vars: Record<string, string>,
  args: string[],
  port?: number,
  localIp = '127.0.0.1',
): Promise<SippRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-sipp-'));
  let xml = readFileSync(path.join(SIPP_DIR, scenario), 'utf8');
  for (const [name, value] of Object.entries(vars)) xml = xml.replaceAll(`{{${name}}}`, value);
  const file = path.join(dir, scenario);
  writeFileSync(file, xml);
  const localPort = port ?? (await freeUdpPort());
  const child = spawn(
    'sipp',
    ['-sf', file, '-i', localIp, '-p', String(localPort), '-nostdin', '-trace_err', '-timeout', '30s', '-timeout_error', ...args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  for (let i = 0; ; i++) {
    const listening = execFileSync('ss', ['-ulnH', `sport = :${localPort}`], { encoding: 'utf8' }).trim() !== '';
    // A short scenario can be over before its socket is seen: done() then reports how it went.
    if (listening || child.exitCode !== null) break;
    if (i > 300) throw new Error(`sipp did not listen on ${localPort}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const errors = () => {
    try {
      return readFileSync(path.join(dir, `${path.basename(scenario, '.xml')}_${child.pid}_errors.log`), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    port: localPort,
    child,
    async done() {
      const [code] = await exited;
      const result = { code, output: output + errors() };
      rmSync(dir, { recursive: true, force: true });
      return result;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A skip reason when a SIP tool is not installed (CI, GATEHOUSE_REQUIRE_SERVICES=1, fails instead). */
export function skipUnlessTools(tools: string[]): string | false {
  if (process.env.GATEHOUSE_REQUIRE_SERVICES === '1') return false;
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `${missing.join(', ')} not installed (apt-get install sip-tester kamailio kamailio-extra-modules kamailio-utils-modules)` : false;
}
