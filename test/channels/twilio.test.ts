import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { OutgoingMessage } from '../../src/channels/channel.js';
import { createTwilioChannels } from '../../src/channels/twilio.js';
import type { TwilioConfig } from '../../src/config.js';
import { type FakeTwilio, startFakeTwilio } from '../helpers/fake-twilio.js';

const API_KEY_SID = `SK${'1'.repeat(32)}`;
const API_KEY_SECRET = 'api-key-secret-value';
const SERVICE = `MG${'2'.repeat(32)}`;

let twilio: FakeTwilio;
before(async () => {
  twilio = await startFakeTwilio({ apiKeySid: API_KEY_SID, apiKeySecret: API_KEY_SECRET });
});
after(() => twilio.close());
beforeEach(() => {
  twilio.requests.length = 0;
});

function settings(overrides: Partial<TwilioConfig> = {}): TwilioConfig {
  return {
    baseUrl: twilio.url,
    accountSid: twilio.accountSid,
    username: twilio.accountSid,
    password: twilio.authToken,
    authToken: twilio.authToken,
    apiKey: null,
    twimlAppSid: null,
    from: '+14155551111',
    messagingServiceSid: null,
    timeoutMs: 5000,
    ...overrides,
  };
}

const sms = (body = 'Your code is 482913', extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  channel: 'sms',
  tenantId: 1,
  to: '+447712345678',
  body,
  ...extra,
});
const call = (options: Record<string, unknown> = {}, body = 'Your code is 482913'): OutgoingMessage => ({
  channel: 'call',
  tenantId: 1,
  to: '+447712345678',
  body,
  options,
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('Twilio SMS', () => {
  it('posts To, From, Body and StatusCallback form-encoded with Basic AccountSid:AuthToken and returns the SID', async () => {
    const { sms: channel } = createTwilioChannels(settings(), 'https://gh.example.com');
    const receipt = await channel.send(sms());
    assert.equal(receipt.status, 'queued');
    assert.equal(receipt.provider, 'twilio');
    assert.match(receipt.providerId ?? '', /^SM[0-9a-f]{32}$/);
    assert.equal(twilio.requests.length, 1);
    const [req] = twilio.requests;
    assert.equal(req?.path, `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`);
    assert.equal(req?.authorization, basic(twilio.accountSid, twilio.authToken));
    assert.match(req?.contentType ?? '', /^application\/x-www-form-urlencoded/);
    assert.deepEqual(req?.form, {
      To: '+447712345678',
      From: '+14155551111',
      Body: 'Your code is 482913',
      StatusCallback: 'https://gh.example.com/2fa/callbacks/twilio/status',
    });
  });

  it("prefers the message's own from over TWILIO_FROM, and omits StatusCallback without a public URL", async () => {
    const { sms: channel } = createTwilioChannels(settings(), null);
    const receipt = await channel.send(sms('Code 1234', { from: 'Acme' }));
    assert.equal(receipt.status, 'queued');
    assert.deepEqual(twilio.requests[0]?.form, { To: '+447712345678', From: 'Acme', Body: 'Code 1234' });
  });

  it('sends through a messaging service when no from is known', async () => {
    const { sms: channel } = createTwilioChannels(settings({ from: null, messagingServiceSid: SERVICE }), null);
    const receipt = await channel.send(sms());
    assert.equal(receipt.status, 'queued');
    assert.deepEqual(twilio.requests[0]?.form, { To: '+447712345678', MessagingServiceSid: SERVICE, Body: 'Your code is 482913' });
  });

  it('authenticates with an API key SID and secret when configured', async () => {
    const { sms: channel } = createTwilioChannels(settings({ username: API_KEY_SID, password: API_KEY_SECRET, authToken: null }), null);
    const receipt = await channel.send(sms());
    assert.equal(receipt.status, 'queued');
    assert.equal(twilio.requests[0]?.authorization, basic(API_KEY_SID, API_KEY_SECRET));
  });

  it('strips control characters and direction overrides from the body', async () => {
    const { sms: channel } = createTwilioChannels(settings(), null);
    await channel.send(sms('Code\u0000 1234\r\nfrom \u202eAcme\u0007'));
    assert.equal(twilio.requests[0]?.form.Body, 'Code 1234\nfrom Acme');
  });

  it('refuses a To that is not E.164 without calling Twilio', async () => {
    const { sms: channel } = createTwilioChannels(settings(), null);
    for (const to of ['07700900123', '+0123', '+1 555 0100', '+15550100\n', 'alice@example.com']) {
      const receipt = await channel.send(sms(undefined, { to }));
      assert.equal(receipt.status, 'failed', to);
      assert.match(receipt.error ?? '', /E\.164/);
    }
    assert.equal(twilio.requests.length, 0);
  });

  it('refuses a from that is neither a number nor a sender ID, and a message with no sender at all', async () => {
    const { sms: channel } = createTwilioChannels(settings({ from: null }), null);
    assert.match((await channel.send(sms(undefined, { from: 'Acme\r\nX: y' }))).error ?? '', /from is not/);
    assert.match((await channel.send(sms())).error ?? '', /no sender/);
    assert.equal(twilio.requests.length, 0);
  });
});

describe('Twilio voice call', () => {
  it('posts To, From and inline TwiML that says the code digit by digit', async () => {
    const { call: channel } = createTwilioChannels(settings(), 'https://gh.example.com/');
    const receipt = await channel.send(call());
    assert.equal(receipt.status, 'queued');
    assert.match(receipt.providerId ?? '', /^CA[0-9a-f]{32}$/);
    const [req] = twilio.requests;
    assert.equal(req?.path, `/2010-04-01/Accounts/${twilio.accountSid}/Calls.json`);
    assert.equal(req?.authorization, basic(twilio.accountSid, twilio.authToken));
    assert.equal(req?.form.To, '+447712345678');
    assert.equal(req?.form.From, '+14155551111');
    assert.equal(req?.form.StatusCallback, 'https://gh.example.com/2fa/callbacks/twilio/status');
    assert.equal(
      req?.form.Twiml,
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Your code is 4, 8, 2, 9, 1, 3</Say></Response>',
    );
  });

  it('says it in the language and voice asked for, repeat times with a pause between', async () => {
    const { call: channel } = createTwilioChannels(settings(), null);
    await channel.send(call({ language: 'awspolly.ja-JP', voice: 'Polly.Mizuki', repeat: 3 }, 'Code: 0042.'));
    const say = '<Say language="ja-JP" voice="Polly.Mizuki">Code: 0, 0, 4, 2.</Say>';
    assert.equal(
      twilio.requests[0]?.form.Twiml,
      `<?xml version="1.0" encoding="UTF-8"?><Response>${say}<Pause length="1"/>${say}<Pause length="1"/>${say}</Response>`,
    );
  });

  it('escapes markup in the spoken text so it cannot add verbs', async () => {
    const { call: channel } = createTwilioChannels(settings(), null);
    await channel.send(call({}, 'Code 12 </Say><Dial>+19005550100</Dial><Say> & "x" ]]>'));
    const twiml = twilio.requests[0]?.form.Twiml ?? '';
    assert.equal(
      twiml,
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Code 1, 2 &lt;/Say&gt;&lt;Dial&gt;+1, 9, 0, 0, 5, 5, 5, 0, 1, 0, 0&lt;/Dial&gt;&lt;Say&gt; &amp; &quot;x&quot; ]]&gt;</Say></Response>',
    );
    assert.equal(twiml.match(/<Dial/g), null);
  });

  it('refuses a language, voice or repeat that is not what it claims, without calling Twilio', async () => {
    const { call: channel } = createTwilioChannels(settings(), null);
    for (const options of [
      { language: 'en-US" voice="x' },
      { language: 'en"><Dial>+1900</Dial><Say x="' },
      { voice: 'woman"><Play>http://evil/</Play><Say voice="man' },
      { voice: 'a b' },
      { repeat: 0 },
      { repeat: 11 },
      { repeat: 1.5 },
      { repeat: '2; drop' },
    ]) {
      const receipt = await channel.send(call(options));
      assert.equal(receipt.status, 'failed', JSON.stringify(options));
      assert.match(receipt.error ?? '', /language|voice|repeat/);
    }
    assert.equal(twilio.requests.length, 0);
  });

  it('needs an E.164 from number, since a call cannot come from a sender ID', async () => {
    const { call: channel } = createTwilioChannels(settings({ from: null }), null);
    assert.match((await channel.send({ ...call(), from: 'Acme' })).error ?? '', /E\.164 from/);
    assert.match((await channel.send({ ...call(), from: '+14155551111', body: ' ' })).error ?? '', /body is empty/);
    assert.equal(twilio.requests.length, 0);
  });
});

describe('Twilio failures', () => {
  it("comes back as a failed receipt with Twilio's error code when the credentials are wrong, without the token", async () => {
    const wrong = 'wrong-token-value-123';
    const { sms: channel } = createTwilioChannels(settings({ password: wrong, authToken: wrong }), null);
    const receipt = await channel.send(sms());
    assert.deepEqual(receipt, { provider: 'twilio', providerId: null, status: 'failed', error: 'twilio error 20003: Authenticate' });
  });

  it('reports an account the credentials do not belong to as an authentication failure', async () => {
    const { sms: channel } = createTwilioChannels(settings({ accountSid: `AC${'f'.repeat(32)}` }), null);
    assert.equal((await channel.send(sms())).error, 'twilio error 20003: Authenticate');
  });

  it('reports HTTP 500, a dropped connection and a timeout as failed receipts', async () => {
    const { sms: channel } = createTwilioChannels(settings({ timeoutMs: 300 }), null);
    twilio.failNext('http500');
    assert.equal((await channel.send(sms())).error, 'twilio error 20500: Internal Server Error');
    twilio.failNext('drop');
    const dropped = await channel.send(sms());
    assert.equal(dropped.status, 'failed');
    assert.match(dropped.error ?? '', /^cannot reach twilio: /);
    twilio.failNext('hang');
    assert.equal((await channel.send(sms())).error, 'twilio did not answer within 0.3 s');
  });

  it('reports an unreachable Twilio as a failed receipt', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { call: channel } = createTwilioChannels(settings({ baseUrl: `http://127.0.0.1:${port}` }), null);
    const receipt = await channel.send(call());
    assert.equal(receipt.status, 'failed');
    assert.match(receipt.error ?? '', /^cannot reach twilio: ECONNREFUSED/);
  });

  it('never repeats the auth token or the message body in an error, even when Twilio echoes them', async () => {
    const { sms: channel } = createTwilioChannels(settings(), null);
    const body = 'Your code is 771204';
    twilio.failNext({ status: 400, code: 21617, message: `Bad ${twilio.authToken} in ${body}\r\nX-Injected: 1` });
    const receipt = await channel.send(sms(body));
    assert.equal(receipt.status, 'failed');
    assert.equal(receipt.error, 'twilio error 21617: Bad [redacted] in [redacted] X-Injected: 1');
  });
});
