// The steady-state latency client of bench/lib.ts (measureSteady): C keep-alive connections, each one
// request at a time, as wrk does. Unlike wrk, the clock starts only once every connection has had its
// first answer, so the figures are those of a server under a steady load of C clients and not of the
// moment C connections open at once. That moment is measured apart, as the ramp: from opening the
// connections to the last one's first answer. (Node 20's libuv, since PR #3696, accepts one connection
// per event-loop turn, so on a busy server the fiftieth waits for fifty turns: wrk's max is that wait.)
//
// Usage: node bench/steady-client.mjs '<json>' with {url, method, headers, body | bodies | sendTemplate
// + prefix, seconds, connections}; prints one line of JSON. Every answer's status is checked (200).
import { readFileSync } from 'node:fs';
import net from 'node:net';

const spec = JSON.parse(process.argv[2]);
const url = new URL(spec.url);
const method = spec.method ?? (spec.body || spec.bodies || spec.sendTemplate ? 'POST' : 'GET');
const lines = spec.bodies ? readFileSync(spec.bodies, 'utf8').split('\n').filter(Boolean) : null;
let next = 0;
function body() {
  if (lines) return lines[next++ % lines.length];
  if (spec.sendTemplate) return spec.sendTemplate.replace('{to}', `${spec.prefix}${String(next++).padStart(6, '0')}`);
  return spec.body ?? null;
}
const head = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
function request() {
  const b = body();
  if (b === null) return `${head.join('\r\n')}\r\n\r\n`;
  return `${head.join('\r\n')}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\n\r\n${b}`;
}

const latencies = [];
let measuring = false;
let stopping = false;
let firstAnswers = 0;
let unexpected = 0;
let ramp = 0;
let started = 0;
const opened = performance.now();

function connect() {
  const socket = net.connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  let sentAt = 0;
  let first = true;
  let buffer = Buffer.alloc(0);
  const send = () => {
    if (stopping) return void socket.destroy();
    sentAt = performance.now();
    socket.write(request());
  };
  socket.on('connect', send);
  // A connection the server ends or breaks counts as an unexpected answer and is opened again.
  socket.on('error', () => {});
  socket.on('close', () => {
    if (stopping) return;
    unexpected++;
    setTimeout(connect, 10);
  });
  socket.on('data', (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headers)?.[1] ?? NaN);
      if (Number.isNaN(length)) throw new Error(`an answer without content-length:\n${headers}`);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.subarray(end + 4 + length);
      const now = performance.now();
      if (measuring) {
        latencies.push(now - sentAt);
        if (!headers.startsWith('HTTP/1.1 200')) unexpected++;
      }
      if (first) {
        first = false;
        if (++firstAnswers === spec.connections) {
          ramp = now - opened;
          measuring = true;
          started = now;
          setTimeout(finish, spec.seconds * 1000);
        }
      }
      send();
    }
  });
}

function finish() {
  stopping = true;
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
  process.stdout.write(
    JSON.stringify({ requests: sorted.length, rps: Math.round(sorted.length / seconds), p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] ?? NaN, unexpected, ramp }) + '\n',
  );
  process.exit(0);
}

for (let i = 0; i < spec.connections; i++) connect();
// A server that never answers some connection would keep the clock from ever starting.
setTimeout(() => {
  if (measuring) return;
  process.stderr.write(`steady-client: only ${firstAnswers} of ${spec.connections} connections answered within 30 s\n`);
  process.exit(1);
}, 30_000);
