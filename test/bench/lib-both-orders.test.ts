// bench/lib's order-fair comparisons: startInOrder starts servers one after another, the last first
// when reversed, and answers them in the order given; inBothOrders measures the same comparison on
// servers started afresh in each order, with the cases in reverse in the second, and stops every pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Case, ORDER_ROUNDS, ROUNDS, bestRounds, inBothOrders, startInOrder, stopping } from '../../bench/lib.js';

function starters(log: string[], failing?: string) {
  return ['a', 'b', 'c'].map((name) => async () => {
    if (name === failing) throw new Error(`${name} did not start`);
    log.push(`start ${name}`);
    return { name, stop: async () => void log.push(`stop ${name}`) };
  });
}

test('startInOrder starts the servers in the order given, or the last first, and answers them in the order given', async () => {
  const forward: string[] = [];
  assert.deepEqual((await startInOrder(starters(forward), false)).map((s) => s.name), ['a', 'b', 'c']);
  assert.deepEqual(forward, ['start a', 'start b', 'start c']);
  const reverse: string[] = [];
  assert.deepEqual((await startInOrder(starters(reverse), true)).map((s) => s.name), ['a', 'b', 'c']);
  assert.deepEqual(reverse, ['start c', 'start b', 'start a']);
});

test('startInOrder stops the servers it started when one fails to start', async () => {
  const log: string[] = [];
  await assert.rejects(startInOrder(starters(log, 'b'), true), /b did not start/);
  assert.deepEqual(log, ['start c', 'stop c']);
});

test('inBothOrders runs the comparison in the order given, then in reverse on servers started afresh, and stops each', async () => {
  const log: string[] = [];
  const cases = (pass: number): Case[] => ['hello', 'gatehouse', 'floor'].map((name) => ({ name, load: () => ({ url: `http://pass${pass}/${name}` }) }));
  let pass = 0;
  const { cases: order, results } = await inBothOrders(
    async (reversed) => {
      const n = ++pass;
      log.push(`setup ${n} ${reversed ? 'reversed' : 'forward'}`);
      return { cases: cases(n), stop: async () => void log.push(`stop ${n}`) };
    },
    async (measured, rounds) => {
      log.push(`run ${measured.map((c) => c.name).join(',')} ×${rounds}`);
      return (await measured[0]!.load()).url;
    },
  );
  assert.equal(ORDER_ROUNDS, Math.ceil(ROUNDS / 2));
  assert.deepEqual(log, [
    'setup 1 forward',
    `run hello,gatehouse,floor ×${ORDER_ROUNDS}`,
    'stop 1',
    'setup 2 reversed',
    `run floor,gatehouse,hello ×${ORDER_ROUNDS}`,
    'stop 2',
  ]);
  assert.deepEqual(results, ['http://pass1/hello', 'http://pass2/floor']);
  assert.deepEqual(order.map((c) => c.name), ['hello', 'gatehouse', 'floor']);
});

test('inBothOrders stops a pass whose run fails, and runs no other', async () => {
  const log: string[] = [];
  await assert.rejects(
    inBothOrders(
      async (reversed) => ({ cases: [], stop: async () => void log.push(`stop ${reversed}`) }),
      async () => {
        throw new Error('wrk failed');
      },
    ),
    /wrk failed/,
  );
  assert.deepEqual(log, ['stop false']);
});

test('bestRounds keeps each case its best good round of all, whichever order it came from, and a case with none its worst', () => {
  const m = (name: string, rps: number, unexpected = 0) => ({ name, rps, p50: 1, p99: 2, max: 3, requests: 1000, unexpected, cpuUs: 10 });
  const rounds = [m('a', 100), m('b', 50, 500), m('a', 120, 20), m('b', 60, 900), m('a', 110)];
  const [a, b] = bestRounds(['a', 'b'], rounds);
  assert.equal(a!.rps, 110); // 120 had 2% unexpected answers: not a measurement
  assert.equal(b!.unexpected, 900);
});

test('stopping answers what the work answers, and stops the servers before passing on its failure', async () => {
  const log: string[] = [];
  const stop = async () => void log.push('stop');
  assert.equal(await stopping(stop, async () => 'key'), 'key');
  assert.equal(log.length, 0);
  await assert.rejects(
    stopping(stop, async () => {
      log.push('check');
      throw new Error('not the same TwiML');
    }),
    /not the same TwiML/,
  );
  assert.deepEqual(log, ['check', 'stop']);
});
