import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OutgoingMessage } from '../../src/channels/channel.js';
import { selectChannels } from '../../src/channels/select.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Statements } from '../../src/storage/statements.js';
import { type FakeTwilio, startFakeTwilio } from '../helpers/fake-twilio.js';
import { DIALECTS, skipDialect } from '../helpers/services.js';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { type TestSmtp, startTestSmtp } from '../helpers/smtp.js';

const ACCOUNT = `AC${'a'.repeat(32)}`;
const TWILIO = { TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: 'token-1234', TWILIO_FROM: '+14155551111' };
const SMTP = { SMTP_URL: 'smtp://u:p@127.0.0.1:2525', SMTP_FROM: 'codes@example.com' };
const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: '/tmp/unused', ...env });

function refusedNaming(variable: string, env: Record<string, string>) {
  assert.throws(
    () => config(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable,
    `${JSON.stringify(env)} should be refused naming ${variable}`,
  );
}

describe('channel settings', () => {
  it('picks Twilio for sms and call and SMTP for email when they are configured, else the outbox', () => {
    assert.deepEqual(config({}).channels, { sms: 'outbox', call: 'outbox', email: 'outbox' });
    assert.deepEqual(config(TWILIO).channels, { sms: 'twilio', call: 'twilio', email: 'outbox' });
    assert.deepEqual(config(SMTP).channels, { sms: 'outbox', call: 'outbox', email: 'smtp' });
    assert.deepEqual(config({ ...TWILIO, ...SMTP }).channels, { sms: 'twilio', call: 'twilio', email: 'smtp' });
  });

  it('falls back to none when the outbox is disabled, as in production', () => {
    assert.deepEqual(config({ GATEHOUSE_OUTBOX: 'false' }).channels, { sms: 'none', call: 'none', email: 'none' });
    assert.deepEqual(config({ NODE_ENV: 'production', ...SMTP }).channels, { sms: 'none', call: 'none', email: 'smtp' });
  });

  it('follows an explicit GATEHOUSE_*_CHANNEL choice', () => {
    const chosen = config({ ...TWILIO, ...SMTP, GATEHOUSE_SMS_CHANNEL: 'outbox', GATEHOUSE_CALL_CHANNEL: 'none', GATEHOUSE_EMAIL_CHANNEL: 'outbox' });
    assert.deepEqual(chosen.channels, { sms: 'outbox', call: 'none', email: 'outbox' });
  });

  it('refuses a channel choice that names an unconfigured, disabled or unsuitable provider', () => {
    refusedNaming('GATEHOUSE_SMS_CHANNEL', { GATEHOUSE_SMS_CHANNEL: 'twilio' });
    refusedNaming('GATEHOUSE_CALL_CHANNEL', { ...SMTP, GATEHOUSE_CALL_CHANNEL: 'smtp' });
    refusedNaming('GATEHOUSE_EMAIL_CHANNEL', { ...TWILIO, GATEHOUSE_EMAIL_CHANNEL: 'twilio' });
    refusedNaming('GATEHOUSE_EMAIL_CHANNEL', { GATEHOUSE_EMAIL_CHANNEL: 'smtp' });
    refusedNaming('GATEHOUSE_SMS_CHANNEL', { GATEHOUSE_OUTBOX: 'false', GATEHOUSE_SMS_CHANNEL: 'outbox' });
    refusedNaming('GATEHOUSE_SMS_CHANNEL', { GATEHOUSE_SMS_CHANNEL: 'carrier-pigeon' });
  });

  it('reads the Twilio settings, with an API key instead of the auth token when given', () => {
    const twilio = config({ ...TWILIO, TWILIO_BASE_URL: 'http://127.0.0.1:9999/', TWILIO_TIMEOUT: '3' }).twilio;
    assert.deepEqual(twilio, {
      baseUrl: 'http://127.0.0.1:9999',
      accountSid: ACCOUNT,
      username: ACCOUNT,
      password: 'token-1234',
      authToken: 'token-1234',
      apiKey: null,
      twimlAppSid: null,
      from: '+14155551111',
      messagingServiceSid: null,
      timeoutMs: 3000,
    });
    const key = `SK${'b'.repeat(32)}`;
    const withKey = config({ TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_API_KEY_SID: key, TWILIO_API_KEY_SECRET: 's3cret' }).twilio;
    assert.equal(withKey?.username, key);
    assert.equal(withKey?.password, 's3cret');
    assert.equal(withKey?.authToken, null);
    assert.equal(withKey?.baseUrl, 'https://api.twilio.com');
  });

  it('refuses bad Twilio settings, naming the variable', () => {
    refusedNaming('TWILIO_ACCOUNT_SID', { ...TWILIO, TWILIO_ACCOUNT_SID: 'AC123' });
    refusedNaming('TWILIO_ACCOUNT_SID', { TWILIO_FROM: '+14155551111' });
    refusedNaming('TWILIO_AUTH_TOKEN', { TWILIO_ACCOUNT_SID: ACCOUNT });
    refusedNaming('TWILIO_API_KEY_SECRET', { TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_API_KEY_SID: `SK${'b'.repeat(32)}` });
    refusedNaming('TWILIO_API_KEY_SID', { TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_API_KEY_SID: 'SK1', TWILIO_API_KEY_SECRET: 'x' });
    refusedNaming('TWILIO_FROM', { ...TWILIO, TWILIO_FROM: '555-0100' });
    refusedNaming('TWILIO_FROM', { ...TWILIO, TWILIO_FROM: 'TooLongSenderName' });
    refusedNaming('TWILIO_MESSAGING_SERVICE_SID', { ...TWILIO, TWILIO_MESSAGING_SERVICE_SID: 'MG1' });
    refusedNaming('TWILIO_BASE_URL', { ...TWILIO, TWILIO_BASE_URL: 'ftp://api.twilio.com' });
    refusedNaming('TWILIO_BASE_URL', { ...TWILIO, TWILIO_BASE_URL: 'not a url' });
    refusedNaming('TWILIO_TIMEOUT', { ...TWILIO, TWILIO_TIMEOUT: '0' });
    refusedNaming('GATEHOUSE_PUBLIC_URL', { GATEHOUSE_PUBLIC_URL: 'gatehouse.example.com' });
    refusedNaming('GATEHOUSE_PUBLIC_URL', { GATEHOUSE_PUBLIC_URL: 'https://u:p@gatehouse.example.com' });
  });

  it('refuses bad SMTP settings, naming the variable', () => {
    refusedNaming('SMTP_URL', { SMTP_URL: 'http://mail.example.com' });
    refusedNaming('SMTP_URL', { SMTP_URL: 'smtp://' });
    refusedNaming('SMTP_URL', { SMTP_FROM: 'codes@example.com' });
    refusedNaming('SMTP_FROM', { ...SMTP, SMTP_FROM: 'codes@example.com\r\nBcc: x@example.com' });
    refusedNaming('SMTP_FROM', { ...SMTP, SMTP_FROM: 'not an address' });
    refusedNaming('SMTP_REQUIRE_TLS', { ...SMTP, SMTP_REQUIRE_TLS: 'maybe' });
    refusedNaming('SMTP_TIMEOUT', { ...SMTP, SMTP_TIMEOUT: '-1' });
    assert.equal(config({ ...SMTP, SMTP_FROM: 'Codes <codes@example.com>' }).smtp?.from, 'Codes <codes@example.com>');
  });

  it('keeps the public URL without a trailing slash', () => {
    assert.equal(config({ GATEHOUSE_PUBLIC_URL: 'https://gh.example.com/' }).publicUrl, 'https://gh.example.com');
    assert.equal(config({}).publicUrl, null);
  });
});

describe('selectChannels', () => {
  const message: OutgoingMessage = { channel: 'sms', tenantId: null, to: '+14155552222', body: 'Code 1234' };

  it('hands out a channel that fails every delivery with the reason when nothing is configured', async () => {
    const channels = selectChannels(config({ GATEHOUSE_OUTBOX: 'false' }), { prepare: () => ({}) } as unknown as Statements);
    const receipt = await channels.sms.send(message);
    assert.equal(receipt.status, 'failed');
    assert.match(receipt.error ?? '', /no sms channel is configured/);
    assert.match((await channels.email.send({ ...message, channel: 'email' })).error ?? '', /SMTP_URL/);
  });

  it("turns a provider's exception into a failed receipt instead of throwing", async () => {
    const failing = async () => {
      throw new Error('database is locked');
    };
    const broken = { prepare: () => ({ get: failing, all: failing, run: failing, insert: failing }), counter: () => ({ add: failing }), durable: () => null, flush() {} } as Statements;
    const receipt = await selectChannels(config({}), broken).call.send(message);
    assert.deepEqual(receipt, { provider: 'outbox', providerId: null, status: 'failed', error: 'outbox delivery failed unexpectedly', retryable: true });
  });
});

for (const dialect of DIALECTS) {
  describe(`channels chosen by the server's configuration on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let twilio: FakeTwilio;
    let smtp: TestSmtp;
    let configured: TestServer;
    let bare: TestServer;

    before(async () => {
      twilio = await startFakeTwilio();
      smtp = await startTestSmtp();
      configured = await startTestServer(dialect, {
        env: {
          TWILIO_BASE_URL: twilio.url,
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM: '+14155551111',
          GATEHOUSE_PUBLIC_URL: 'https://gh.example.com',
          SMTP_URL: smtp.url,
          SMTP_FROM: 'codes@gatehouse.example',
        },
      });
      bare = await startTestServer(dialect);
    });
    after(async () => {
      await configured?.close();
      await bare?.close();
      await twilio?.close();
      await smtp?.close();
    });

    it('sends sms and calls through Twilio and email through SMTP', async () => {
      const { channels } = configured.runtime.core;
      const sms = await channels.sms.send({ channel: 'sms', tenantId: null, to: '+14155552222', body: 'Code 123456' });
      const voice = await channels.call.send({ channel: 'call', tenantId: null, to: '+14155552222', body: 'Code 123456', options: { repeat: 2 } });
      const mail = await channels.email.send({ channel: 'email', tenantId: null, to: 'a@example.com', subject: 'Code', body: 'Code 123456' });
      assert.deepEqual([sms.provider, sms.status, voice.provider, voice.status, mail.provider, mail.status], ['twilio', 'queued', 'twilio', 'queued', 'smtp', 'sent']);
      assert.deepEqual(twilio.requests.map((r) => r.path.split('/').pop()), ['Messages.json', 'Calls.json']);
      assert.equal(twilio.requests[0]?.form.StatusCallback, 'https://gh.example.com/2fa/callbacks/twilio/status');
      assert.equal((await smtp.waitFor(1))[0]?.envelopeTo[0], 'a@example.com');
    });

    it('stores every channel in the development outbox when no provider is configured', async () => {
      const { channels } = bare.runtime.core;
      for (const channel of ['sms', 'call', 'email'] as const) {
        const receipt = await channels[channel].send({ channel, tenantId: null, to: `${channel}-to`, subject: 's', body: `via ${channel}` });
        assert.equal(receipt.provider, 'outbox');
        assert.equal(receipt.status, 'delivered');
      }
      const rows = await bare.runtime.storage.db.selectFrom('outbox_messages').select(['channel', 'to', 'body']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { channel: 'sms', to: 'sms-to', body: 'via sms' },
        { channel: 'call', to: 'call-to', body: 'via call' },
        { channel: 'email', to: 'email-to', body: 'via email' },
      ]);
    });
  });
}
