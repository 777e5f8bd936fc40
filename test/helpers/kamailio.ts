/**
 * Kamailio as a foreground child process of a test: the repository's configuration template
 * (sip/kamailio/kamailio.cfg) filled in, its own runtime folder and pid file, SIP on a UDP port and
 * JSON-RPC on a TCP port both chosen free at test time; stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort } from './sipp.js';

const TEMPLATE = fileURLToPath(new URL('../../sip/kamailio/kamailio.cfg', import.meta.url));

/** Where Debian puts Kamailio's modules: /usr/lib/<multiarch>/kamailio/modules. */
export function kamailioModules(): string {
  const candidates = [...readdirSync('/usr/lib').map((d) => `/usr/lib/${d}/kamailio/modules`), '/usr/lib/kamailio/modules'];
  const found = candidates.find((d) => existsSync(path.join(d, 'registrar.so')));
  if (!found) throw new Error('Kamailio modules not found under /usr/lib (apt-get install kamailio)');
  return found;
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface KamailioPorts {
  sip: number;
  rpc: number;
}

export const kamailioPorts = async (): Promise<KamailioPorts> => ({ sip: await freeUdpPort(), rpc: await freeTcpPort() });
export const rpcUrlOf = (ports: KamailioPorts) => `http://127.0.0.1:${ports.rpc}/RPC`;

export interface Kamailio {
  ports: KamailioPorts;
  rpcUrl: string;
  output(): string;
  rpc(method: string, params: unknown[]): Promise<any>;
  stop(): Promise<void>;
}

export async function startKamailio(ports: KamailioPorts, settings: { gatehouseUrl: string; secret: string; algorithm: 'MD5' | 'SHA-256' }): Promise<Kamailio> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-kamailio-'));
  const values: Record<string, string> = {
    SIP_LISTEN: `udp:127.0.0.1:${ports.sip}`,
    RPC_LISTEN: `tcp:127.0.0.1:${ports.rpc}`,
    GATEHOUSE_URL: settings.gatehouseUrl,
    REGISTRAR_SECRET: settings.secret,
    ALGORITHM: settings.algorithm,
    MODULES: kamailioModules(),
    NONCE_SECRET: randomBytes(16).toString('hex'),
  };
  let cfg = readFileSync(TEMPLATE, 'utf8');
  for (const [name, value] of Object.entries(values)) cfg = cfg.replaceAll(`{{${name}}}`, value);
  const file = path.join(dir, 'kamailio.cfg');
  writeFileSync(file, cfg);
  const child: ChildProcess = spawn('kamailio', ['-f', file, '-DD', '-E', '-P', path.join(dir, 'kamailio.pid'), '-Y', dir, '-m', '32', '-M', '8'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  const rpcUrl = rpcUrlOf(ports);
  const rpc = async (method: string, params: unknown[]) => {
    const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }) });
    return res.json();
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`kamailio exited:\n${out}`);
    try {
      const answer = await rpc('core.version', []);
      if (answer.result) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error(`kamailio did not answer JSON-RPC:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ports,
    rpcUrl,
    output: () => out,
    rpc,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
