import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { type Client, client, codeSentTo, randomNumber, subTenant } from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`POST /2fa/verify and /2fa/cancel on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let api: Client;
    before(async () => {
      server = await startTestServer(dialect);
      api = client(server);
    });
    after(() => server.close());

    async function sent(fields: Record<string, unknown> = {}) {
      const to = (fields.to as string) ?? randomNumber();
      const res = await api.send({ to, ...fields });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { to, requestId: res.body.requestID as string, code: await codeSentTo(server, to) };
    }
    const wrong = (code: string) => String((Number(code[0]) + 1) % 10) + code.slice(1);

    test('the right code by requestId answers 200 with the requestID', async () => {
      const s = await sent();
      const res = await api.post('/2fa/verify', { service: '2FA', requestId: s.requestId, code: s.code });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { code: 200, message: 'OK', requestID: s.requestId });
    });

    test('a verified code is never accepted again (471, 409)', async () => {
      const s = await sent();
      assert.equal((await api.post('/2fa/verify', { requestId: s.requestId, code: s.code })).status, 200);
      const again = await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 471);
      assert.equal(again.body.message, 'OTP is already verified');
    });

    test('a wrong code answers 474 (401) and the right one still works after it', async () => {
      const s = await sent();
      const res = await api.post('/2fa/verify', { requestId: s.requestId, code: wrong(s.code) });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { code: 474, message: 'Invalid OTP Code', requestID: s.requestId });
      assert.equal((await api.post('/2fa/verify', { requestId: s.requestId, code: s.code })).status, 200);
    });

    test('an unknown or malformed requestId answers 470 (404)', async () => {
      for (const requestId of ['OTP' + '0'.repeat(32), 'nonsense']) {
        const res = await api.post('/2fa/verify', { requestId, code: '123456' });
        assert.equal(res.status, 404);
        assert.equal(res.body.code, 470);
        assert.equal(res.body.message, 'Invalid OTP Unique Id');
      }
    });

    test('after 5 wrong codes the request is dead: even the right code answers 475 (429)', async () => {
      const s = await sent();
      for (let i = 0; i < 5; i++) assert.equal((await api.post('/2fa/verify', { requestId: s.requestId, code: wrong(s.code) })).body.code, 474);
      const res = await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, { code: 475, message: 'Too many attempts', requestID: s.requestId });
      const sdr = await api.get(`/2fa/sdr/search/${s.requestId}`);
      assert.equal(sdr.body.data.status, 'failed');
      assert.equal(sdr.body.data.attempts, 5);
    });

    test('an expired code answers 472 (410)', async () => {
      const s = await sent({ timeout: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      const res = await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(res.status, 410);
      assert.deepEqual(res.body, { code: 472, message: 'OTP expired', requestID: s.requestId });
    });

    test('verify by service + number takes the newest live code and ignores requestId', async () => {
      const s = await sent({ service: 'login' });
      const res = await api.post('/2fa/verify', { service: 'login', number: s.to, requestId: 'OTP' + '1'.repeat(32), code: s.code });
      assert.equal(res.status, 200);
      assert.equal(res.body.requestID, s.requestId);
      const other = await api.post('/2fa/verify', { service: 'other', number: s.to, code: s.code });
      assert.equal(other.body.code, 470);
      const noService = await api.post('/2fa/verify', { number: s.to, code: s.code });
      assert.equal(noService.status, 400);
      assert.match(noService.body.message, /^service/);
    });

    test('verify by number picks the live code over a newer canceled one', async () => {
      await api.post('/2fa/limits', { name: 'by_number', buckets: [{ name: 'b', max: 10, interval: 60 }] });
      const to = randomNumber();
      const older = await sent({ to, service: 'guarded', limits: { by_number: to } });
      const newer = await sent({ to, service: 'guarded', limits: { by_number: to }, guardTime: 60 });
      await api.post('/2fa/cancel', { requestId: newer.requestId });
      const res = await api.post('/2fa/verify', { service: 'guarded', number: to, code: older.code });
      assert.equal(res.status, 200);
      assert.equal(res.body.requestID, older.requestId);
    });

    test('validation: code must be digits, requestId or number is required', async () => {
      const bad = await api.post('/2fa/verify', { requestId: 'OTP' + '0'.repeat(32), code: 'abc' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /^code/);
      const missing = await api.post('/2fa/verify', { code: '123456' });
      assert.equal(missing.status, 400);
      assert.match(missing.body.message, /^requestId/);
      const noCode = await api.post('/2fa/verify', { requestId: 'OTP' + '0'.repeat(32) });
      assert.equal(noCode.status, 400);
      assert.match(noCode.body.message, /^code/);
    });

    test('a code sent for a sub-account verifies only with that accountSid', async () => {
      const sub = await subTenant(server, server.admin.tenant);
      const s = await sent({ accountSid: sub.sid });
      const without = await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(without.body.code, 470);
      const sibling = await subTenant(server, server.admin.tenant, 'sibling');
      const fromSibling = await client(server, sibling).post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(fromSibling.body.code, 470);
      assert.equal((await api.post('/2fa/verify', { requestId: s.requestId, accountSid: sub.sid, code: s.code })).status, 200);
    });

    test('two concurrent right answers give exactly one 200, the other 471', async () => {
      for (let round = 0; round < 10; round++) {
        const s = await sent();
        const answers = await Promise.all([0, 1].map(() => api.post('/2fa/verify', { requestId: s.requestId, code: s.code })));
        assert.deepEqual(answers.map((a) => a.body.code).sort(), [200, 471]);
      }
    });

    test('ten concurrent right answers give exactly one 200; past the 5-attempt budget the rest may read 475', async () => {
      for (let round = 0; round < 3; round++) {
        const s = await sent();
        const answers = await Promise.all(Array.from({ length: 10 }, () => api.post('/2fa/verify', { requestId: s.requestId, code: s.code })));
        assert.equal(answers.filter((a) => a.status === 200).length, 1);
        assert.ok(answers.every((a) => [200, 471, 475].includes(a.body.code)), JSON.stringify(answers.map((a) => a.body)));
      }
    });

    test('a burst of 30 concurrent guesses with the right code among them spends exactly 5 attempts', async () => {
      for (let round = 0; round < 3; round++) {
        const s = await sent();
        const guesses = Array.from({ length: 30 }, (_, i) => (i === 29 ? s.code : wrong(s.code)));
        const answers = await Promise.all(guesses.map((code) => api.post('/2fa/verify', { requestId: s.requestId, code })));
        const codes = answers.map((a) => a.body.code as number);
        // Five guesses counted (474, or 200 if the right one was among them); every other one was refused.
        assert.equal(codes.filter((c) => c === 474 || c === 200).length, 5, JSON.stringify(codes));
        assert.ok(codes.every((c) => [200, 471, 474, 475].includes(c)), JSON.stringify(codes));
        const sdr = await api.get(`/2fa/sdr/search/${s.requestId}`);
        assert.equal(sdr.body.data.attempts, 5);
        assert.equal(sdr.body.data.status, codes.includes(200) ? 'verified' : 'failed');
      }
    });

    test('cancel answers "canceled" and the code is refused afterwards (473)', async () => {
      const s = await sent();
      const res = await api.post('/2fa/cancel', { requestId: s.requestId });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { code: 200, message: 'canceled', requestID: s.requestId });
      const late = await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      assert.equal(late.status, 410);
      assert.equal(late.body.code, 473);
    });

    test('cancel of an unknown request answers 490 (404), of a verified one 471 (409)', async () => {
      const unknown = await api.post('/2fa/cancel', { requestId: 'OTP' + 'a'.repeat(32) });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { code: 490, message: 'Invalid OTP Unique Id', requestID: null });
      const s = await sent();
      await api.post('/2fa/verify', { requestId: s.requestId, code: s.code });
      const verified = await api.post('/2fa/cancel', { requestId: s.requestId });
      assert.equal(verified.status, 409);
      assert.equal(verified.body.code, 471);
      const missing = await api.post('/2fa/cancel', {});
      assert.equal(missing.status, 400);
      assert.match(missing.body.message, /^requestId/);
    });

    test('cancel is scoped by accountSid like verify', async () => {
      const sub = await subTenant(server, server.admin.tenant, 'cancel-sub');
      const s = await sent({ accountSid: sub.sid });
      assert.equal((await api.post('/2fa/cancel', { requestId: s.requestId })).body.code, 490);
      assert.equal((await api.post('/2fa/cancel', { requestId: s.requestId, accountSid: sub.sid })).status, 200);
    });
  });
}
