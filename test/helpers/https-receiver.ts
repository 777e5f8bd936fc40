/**
 * A real HTTPS webhook receiver for the tests: a self-signed certificate for localhost and 127.0.0.1
 * (made by the selfsigned package), which the server under test is told to trust through
 * GATEHOUSE_WEBHOOKS_CA. It keeps every request (headers and raw body) and answers with whatever the
 * test says, 204 by default.
 */
import { type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  /** https://127.0.0.1:<port> */
  url: string;
  /** https://localhost:<port> */
  localhostUrl: string;
  port: number;
  /** The certificate to trust (PEM). */
  ca: string;
  received: Received[];
  /** The status of the next answers: called with the request number (0-based). */
  answer(status: (n: number) => number): void;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

let pems: Promise<{ cert: string; private: string }> | undefined;
const certificate = () =>
  (pems ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    days: 2,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  } as never));

export async function startReceiver(): Promise<Receiver> {
  const { cert, private: key } = await certificate();
  const received: Received[] = [];
  let status: (n: number) => number = () => 204;
  const waiters: Array<() => void> = [];
  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = status(n);
      res.end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    localhostUrl: `https://localhost:${port}`,
    port,
    ca: cert,
    received,
    answer(fn) {
      status = fn;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} of ${count} requests within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
      return received.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
