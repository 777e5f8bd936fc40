/** The HTTP plumbing every face shares: request ids and timeouts (storage-independent: SQLite only). */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from './helpers/server.js';

describe('request ids', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server.close());

  test('a short, plain X-Request-Id from the caller is kept, in the answer and the log', async () => {
    const res = await call(`${server.url}/ping`, { headers: { 'x-request-id': 'trace-4f1c:9' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-4f1c:9');
    assert.ok(server.logs.some((l) => l.includes('"reqId":"trace-4f1c:9"')));
  });

  for (const [what, id] of [
    ['a long one', 'x'.repeat(65)],
    ['one with JSON in it', '","level":60,"msg":"forged'],
    ['one with spaces', 'a b'],
    ['one outside ASCII', 'ü'],
  ] as const) {
    test(`${what} is replaced by an id of the server's own`, async () => {
      const res = await call(`${server.url}/ping`, { headers: { 'x-request-id': id } });
      const given = res.headers.get('x-request-id')!;
      assert.notEqual(given, id);
      assert.match(given, /^[0-9a-f]{12}-[0-9a-z]+$/);
    });
  }
});

describe('a slow client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite', { env: { GATEHOUSE_REQUEST_TIMEOUT: '1' } });
  });
  after(() => server.close());

  test('that trickles its body is cut off once the request timeout has passed', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /global/jwtToken/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
    const started = Date.now();
    const trickle = setInterval(() => socket.writable && socket.write(' '), 200);
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {});
    const giveUp = setTimeout(() => socket.destroy(), 8000);
    await new Promise((resolve) => socket.once('close', resolve));
    clearTimeout(giveUp);
    clearInterval(trickle);
    const held = Date.now() - started;
    assert.ok(held < 4000, `the connection was held ${held} ms`);
    assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), answer);
  });

  test('that opens a connection and says nothing is disconnected', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    const started = Date.now();
    const giveUp = setTimeout(() => socket.destroy(), 8000);
    await new Promise((resolve) => socket.once('close', resolve));
    clearTimeout(giveUp);
    assert.ok(Date.now() - started < 4000, `held ${Date.now() - started} ms`);
  });
});
