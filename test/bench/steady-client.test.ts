// bench/lib's measureSteady (bench/steady-client.mjs): its clock starts once every connection has had
// its first answer, the wait for those first answers is reported apart as the ramp, every answer's
// status is checked, and a send load gives each request its own recipient.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CONNECTIONS, measureSteady } from '../../bench/lib.js';
import { isValidPhoneNumber } from 'libphonenumber-js/max';

/** A server whose handler decides, per request (its number on its connection, from 0), after how many ms to answer and with what status. */
async function serve(answer: (nth: number, body: string) => { delay: number; status: number; drop?: boolean }) {
  const bodies: string[] = [];
  const answered = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    const nth = answered.get(req.socket) ?? 0;
    answered.set(req.socket, nth + 1);
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const { delay, status, drop } = answer(nth, body);
      if (drop) return void req.socket.destroy();
      const end = () => {
        res.statusCode = status;
        res.end('{}');
      };
      if (delay) setTimeout(end, delay);
      else end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, bodies, close: () => server.close() };
}

test('the clock starts after every connection has had its first answer: a slow first answer is the ramp, not the max', async () => {
  const server = await serve((nth) => ({ delay: nth === 0 ? 300 : 0, status: 200 }));
  try {
    const m = await measureSteady('slow first answer', { url: server.url, seconds: 1 });
    assert.ok(m.ramp >= 290, `ramp ${m.ramp} ms`); // a 300 ms timer may fire a little early by this clock
    assert.ok(m.max < 300, `max ${m.max} ms holds a first answer`);
    assert.ok(m.requests > 100, `${m.requests} requests`);
    assert.equal(m.unexpected, 0);
  } finally {
    server.close();
  }
});

test('a slow answer during the steady load is in the max, and an answer other than 200 is counted as unexpected', async () => {
  let n = 0;
  const server = await serve(() => {
    n++;
    return { delay: n === 2000 ? 120 : 0, status: n % 100 === 0 ? 500 : 200 };
  });
  try {
    const m = await measureSteady('one slow, some 500', { url: server.url, seconds: 1 });
    assert.ok(n > 2000 + CONNECTIONS, `only ${n} requests: the slow one may not have been measured`);
    // 120 ms by the server's timer, which may fire a fraction of a millisecond early by another clock.
    assert.ok(m.max >= 100, `max ${m.max} ms`);
    assert.ok(Math.abs(m.unexpected - m.requests / 100) <= 2, `${m.unexpected} unexpected of ${m.requests}`);
  } finally {
    server.close();
  }
});

test('a send load gives each request a recipient of its own', async () => {
  const server = await serve(() => ({ delay: 0, status: 200 }));
  try {
    const m = await measureSteady('send', { url: server.url, sendTemplate: JSON.stringify({ to: '{to}' }), seconds: 1 });
    const recipients = server.bodies.map((b) => (JSON.parse(b) as { to: string }).to);
    assert.ok(recipients.length >= m.requests);
    assert.equal(new Set(recipients).size, recipients.length, 'a recipient was sent twice');
    assert.ok(recipients.every((to) => /^\+1\d{10}$/.test(to) && isValidPhoneNumber(to)), recipients[0]);
  } finally {
    server.close();
  }
});

test('a connection the server drops is counted as unexpected and opened again', async () => {
  let n = 0;
  const server = await serve(() => ({ delay: 0, status: 200, drop: ++n === 3000 }));
  try {
    const m = await measureSteady('one dropped', { url: server.url, seconds: 1 });
    assert.ok(n > 3000 + CONNECTIONS, `only ${n} requests: the drop may not have been measured`);
    assert.equal(m.unexpected, 1);
    assert.ok(m.requests > 3000 - CONNECTIONS, `${m.requests} requests`);
  } finally {
    server.close();
  }
});
