import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { buildMessageRequest, parseResponse, parseSipProxy, sendSipMessage } from '../../../src/core/sip/message.js';
import { ereLiteral, skipUnlessTools, startSipp } from '../../helpers/sipp.js';

const FAST = { t1: 50, t2: 400 };

describe('SIP MESSAGE user agent client', () => {
  it('reads udp:host:port and refuses anything else', () => {
    assert.deepEqual(parseSipProxy('udp:127.0.0.1:5080'), { transport: 'udp', host: '127.0.0.1', port: 5080 });
    assert.deepEqual(parseSipProxy('udp:[::1]:5080'), { transport: 'udp', host: '::1', port: 5080 });
    assert.equal(parseSipProxy('tcp:127.0.0.1:5080'), null);
    assert.equal(parseSipProxy('udp:127.0.0.1'), null);
    assert.equal(parseSipProxy('udp:127.0.0.1:70000'), null);
  });

  it('builds a request with a magic-cookie branch, a From tag and the body length in bytes', () => {
    const bytes = buildMessageRequest(
      { from: 'sip:alice@example.org', to: 'sip:bob@example.org', body: 'héllo' },
      { host: '127.0.0.1', port: 4000 },
      { branch: 'z9hG4bKabc', tag: 't1', callId: 'c1@gatehouse', cseq: 1 },
    ).toString('utf8');
    assert.match(bytes, /^MESSAGE sip:bob@example\.org SIP\/2\.0\r\n/);
    assert.match(bytes, /\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:4000;branch=z9hG4bKabc;rport\r\n/);
    assert.match(bytes, /\r\nFrom: <sip:alice@example\.org>;tag=t1\r\n/);
    assert.match(bytes, /\r\nTo: <sip:bob@example\.org>\r\n/);
    assert.match(bytes, /\r\nCSeq: 1 MESSAGE\r\nContent-Type: text\/plain;charset=UTF-8\r\nContent-Length: 6\r\n\r\nhéllo$/);
    assert.match(bytes, /\r\nMax-Forwards: 70\r\n/);
  });

  it('reads a response status line, its top Via branch and CSeq, compact Via included', () => {
    const r = parseResponse(Buffer.from('SIP/2.0 202 Accepted\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCSeq:  7   MESSAGE\r\n\r\n'));
    assert.deepEqual(r, { status: 202, reason: 'Accepted', branch: 'z9hG4bKx', cseq: '7 MESSAGE' });
    assert.equal(parseResponse(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\n\r\n')), null);
  });

  it('refuses a To that is not a SIP address before sending anything', async () => {
    await assert.rejects(
      sendSipMessage({ transport: 'udp', host: '127.0.0.1', port: 9 }, { from: 'sip:a@b.org', to: 'sip:x@y.org\r\nX: 1', body: '' }),
      /to: must be a SIP address/,
    );
  });

  it('retransmits on Timer E, doubling up to T2, and answers 408 after Timer F when nobody answers', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const arrivals: number[] = [];
    peer.on('message', () => arrivals.push(Date.now()));
    const started = Date.now();
    const answer = await sendSipMessage({ transport: 'udp', host: '127.0.0.1', port: peer.address().port }, { from: 'sip:a@b.org', to: 'sip:c@d.org', body: 'x' }, FAST);
    peer.close();
    assert.deepEqual({ ...answer, callId: undefined }, { status: 408, reason: 'Request Timeout', timedOut: true, callId: undefined });
    assert.match(answer.callId, /^[0-9a-f]{32}@gatehouse$/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 64 * FAST.t1 - 20 && elapsed < 64 * FAST.t1 + 1500, `Timer F fired after ${elapsed} ms`);
    // 0, 50, 150, 350, 750, 1150, … : intervals 50, 100, 200, 400, then 400 (T2) each.
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    assert.ok(gaps.length >= 6, `only ${arrivals.length} transmissions`);
    assert.ok(gaps[0]! < gaps[2]!, `intervals did not grow: ${gaps.join(',')}`);
    // Generous bounds: the machine running the suite may be loaded.
    assert.ok(Math.max(...gaps) < FAST.t2 + 400, `an interval exceeded T2: ${gaps.join(',')}`);
  });

  it('keeps waiting past a provisional answer and takes the final one for its own branch only', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peer.once('message', (req, rinfo) => {
      const text = req.toString();
      const via = /\r\n(Via: [^\r]+)/.exec(text)![1]!;
      const reply = (status: string, branchVia = via) =>
        peer.send(`SIP/2.0 ${status}\r\n${branchVia}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
      reply('100 Trying');
      reply('200 OK', 'Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKsomeoneelse');
      setTimeout(() => reply('486 Busy Here'), 100);
    });
    const answer = await sendSipMessage({ transport: 'udp', host: '127.0.0.1', port: peer.address().port }, { from: 'sip:a@b.org', to: 'sip:c@d.org', body: 'x' }, FAST);
    peer.close();
    assert.deepEqual([answer.status, answer.reason, answer.timedOut], [486, 'Busy Here', false]);
  });

  it('delivers a MESSAGE that SIPp, as the receiving user agent, finds addressed right with the right body', { skip: skipUnlessTools(['sipp']) }, async () => {
    const msg = { from: 'sip:gatehouse@sip.example.org', to: 'sip:receiver.one@sip.example.org', body: 'Your code is 123456 (sent by Gatehouse)' };
    const sipp = await startSipp('message-uas.xml', { TO: ereLiteral(msg.to), FROM: ereLiteral(msg.from), BODY: ereLiteral(msg.body) }, ['-m', '1']);
    try {
      const answer = await sendSipMessage({ transport: 'udp', host: '127.0.0.1', port: sipp.port }, msg, FAST);
      assert.deepEqual([answer.status, answer.reason, answer.timedOut], [200, 'OK', false]);
      const { code, output } = await sipp.done();
      assert.equal(code, 0, output);
    } finally {
      await sipp.stop();
    }
  });

  for (const wrong of ['TO', 'FROM', 'BODY'] as const) {
    it(`is refused by the SIPp scenario when the ${wrong.toLowerCase()} is not the one expected`, { skip: skipUnlessTools(['sipp']) }, async () => {
      const msg = { from: 'sip:gatehouse@sip.example.org', to: 'sip:receiver.one@sip.example.org', body: 'hello' };
      const expected = { TO: ereLiteral(msg.to), FROM: ereLiteral(msg.from), BODY: ereLiteral(msg.body), [wrong]: 'sip:someone\\.else@nowhere\\.example' };
      const sipp = await startSipp('message-uas.xml', expected, ['-m', '1']);
      try {
        await sendSipMessage({ transport: 'udp', host: '127.0.0.1', port: sipp.port }, msg, FAST);
        const { code, output } = await sipp.done();
        assert.equal(code, 1, output);
      } finally {
        await sipp.stop();
      }
    });
  }
});
