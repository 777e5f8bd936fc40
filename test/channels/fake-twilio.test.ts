// The fake stands in for Twilio in every channel test, so it must refuse what Twilio refuses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeTwilio, startFakeTwilio } from '../helpers/fake-twilio.js';

let twilio: FakeTwilio;
before(async () => {
  twilio = await startFakeTwilio();
});
after(() => twilio.close());

async function post(resource: string, form: Record<string, string>, auth = `${twilio.accountSid}:${twilio.authToken}`, account = twilio.accountSid) {
  const res = await fetch(`${twilio.url}/2010-04-01/Accounts/${account}/${resource}.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the fake Twilio REST API', () => {
  const sms = { To: '+14155552222', From: '+14155551111', Body: 'hi' };
  const voice = { To: '+14155552222', From: '+14155551111', Twiml: '<Response/>' };

  it('creates messages and calls with SM/CA SIDs and status queued', async () => {
    const message = await post('Messages', sms);
    assert.equal(message.status, 201);
    assert.match(String(message.body.sid), /^SM[0-9a-f]{32}$/);
    assert.equal(message.body.status, 'queued');
    const placed = await post('Calls', voice);
    assert.equal(placed.status, 201);
    assert.match(String(placed.body.sid), /^CA[0-9a-f]{32}$/);
  });

  it('answers 401 with code 20003 for wrong credentials or another account', async () => {
    const wrong = await post('Messages', sms, `${twilio.accountSid}:nope`);
    assert.deepEqual([wrong.status, wrong.body.code], [401, 20003]);
    const other = await post('Messages', sms, undefined, `AC${'0'.repeat(32)}`);
    assert.deepEqual([other.status, other.body.code], [401, 20003]);
  });

  it("answers 400 with Twilio's codes for missing or malformed parameters", async () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      ['Messages', { From: sms.From, Body: 'x' }, 21604],
      ['Messages', { To: sms.To, Body: 'x' }, 21603],
      ['Messages', { ...sms, To: '5550002222' }, 21211],
      ['Messages', { To: sms.To, From: sms.From }, 21602],
      ['Calls', { To: voice.To, Twiml: voice.Twiml }, 21603],
      ['Calls', { To: voice.To, From: voice.From }, 21205],
    ];
    for (const [resource, form, code] of cases) {
      const res = await post(resource, form);
      assert.deepEqual([res.status, res.body.code], [400, code], JSON.stringify(form));
    }
  });
});

describe("the fake's IncomingPhoneNumbers", () => {
  const list = (query: string, auth = `${twilio.accountSid}:${twilio.authToken}`, method = 'GET') =>
    fetch(`${twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/IncomingPhoneNumbers.json${query}`, { method, headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it('pages as Twilio does, with a PageToken past the first page, and refuses what Twilio refuses', async () => {
    for (let i = 0; i < 3; i++) twilio.addNumber(`+1415555030${i}`);
    const first = await list('?PageSize=2');
    assert.equal(first.status, 200);
    assert.equal(first.body.incoming_phone_numbers.length, 2);
    assert.match(first.body.next_page_uri, /PageToken=PA/);
    const second = await list(first.body.next_page_uri.slice(first.body.next_page_uri.indexOf('?')));
    assert.equal(second.body.incoming_phone_numbers.length, 1);
    assert.equal(second.body.next_page_uri, null);
    assert.equal((await list('?PageSize=2&Page=1')).status, 400);
    assert.equal((await list('?PageSize=1001')).status, 400);
    assert.deepEqual([(await list('', `${twilio.accountSid}:nope`)).body.code], [20003]);
    assert.equal((await list('', undefined, 'POST')).status, 405);
  });
});
