// bench/lib's cookieBodies load: wrk (its Lua script) sends each line of the file once, in order, as
// one request with that line's Cookie header and body, next to the load's own headers. The server here
// answers 409 to any request it has seen before, so a line sent twice would also show in the measure's
// unexpected answers. Needs wrk (the `wrk` package; .ci/run installs it).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CONNECTIONS, cookieBodiesFile, measure } from '../../bench/lib.js';

test('a cookieBodies load sends each line once, in order, with its own cookie and body', async () => {
  const seen: number[] = [];
  const sent = new Set<number>();
  const mismatched: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const i = Number(/^c=(\d+)$/.exec(req.headers.cookie ?? '')?.[1]);
      let parsed: { i?: number } = {};
      try {
        parsed = JSON.parse(body);
      } catch {}
      if (req.method !== 'POST' || req.headers.origin !== 'http://site.example' || req.headers['content-type'] !== 'application/json' || parsed.i !== i) {
        mismatched.push(`${req.method} ${req.headers.cookie} ${req.headers.origin} ${body}`);
      }
      res.statusCode = sent.has(i) ? 409 : 200;
      sent.add(i);
      seen.push(i);
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const lines = 200_000;
    const file = cookieBodiesFile('test', Array.from({ length: lines }, (_, i) => ({ cookie: `c=${i}`, body: JSON.stringify({ i }) })));
    const m = await measure('cookie bodies', {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      headers: { Origin: 'http://site.example' },
      cookieBodies: file,
      seconds: 1,
    });
    assert.ok(seen.length > 100, `only ${seen.length} requests arrived`);
    assert.ok(seen.length < lines, 'the file was used up: the test proves nothing, give it more lines');
    assert.deepEqual(mismatched, []);
    assert.equal(sent.size, seen.length, 'a line was sent twice');
    assert.equal(m.unexpected, 0);
    // wrk counts the answers it read; the server may also have had the last requests in flight.
    assert.ok(seen.length >= m.requests && seen.length <= m.requests + CONNECTIONS, `server saw ${seen.length}, wrk counted ${m.requests}`);
    // In order: the lines sent are the first ones of the file, less at most the ones in flight at the end.
    assert.ok(Math.max(...seen) < seen.length + CONNECTIONS, `line ${Math.max(...seen)} sent after only ${seen.length} requests`);
  } finally {
    server.close();
  }
});

test('cookieBodiesFile refuses a cookie or body that would break its line', () => {
  assert.throws(() => cookieBodiesFile('bad', [{ cookie: 'a\tb', body: '{}' }]), /tab or a newline/);
  assert.throws(() => cookieBodiesFile('bad', [{ cookie: 'a', body: '{\n}' }]), /tab or a newline/);
});
