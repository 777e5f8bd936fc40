import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OutgoingMessage } from '../../src/channels/channel.js';
import { createSmtpChannel } from '../../src/channels/smtp.js';
import type { SmtpConfig } from '../../src/config.js';
import { type TestSmtp, startTestSmtp } from '../helpers/smtp.js';

let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
});
after(() => smtp.close());

const settings = (overrides: Partial<SmtpConfig> = {}): SmtpConfig => ({
  url: smtp.url,
  from: 'Gatehouse Codes <codes@gatehouse.example>',
  rejectUnauthorized: true,
  requireTls: false,
  timeoutMs: 5000,
  ...overrides,
});

const email = (extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  channel: 'email',
  tenantId: 1,
  to: 'person@example.com',
  subject: 'Your sign-in code',
  body: 'Your code is 318274',
  ...extra,
});

describe('SMTP email', () => {
  it('delivers one text/plain message with the subject, from, to and body through an authenticated server', async () => {
    const before = smtp.messages.length;
    const receipt = await createSmtpChannel(settings()).send(email({ from: 'otp@shop.example' }));
    assert.equal(receipt.status, 'sent');
    assert.equal(receipt.provider, 'smtp');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.ok(mail);
    assert.equal(receipt.providerId, mail.headers.get('message-id')?.[0]);
    assert.equal(mail.envelopeFrom, 'otp@shop.example');
    assert.deepEqual(mail.envelopeTo, ['person@example.com']);
    assert.deepEqual(mail.headers.get('from'), ['otp@shop.example']);
    assert.deepEqual(mail.headers.get('to'), ['person@example.com']);
    assert.deepEqual(mail.headers.get('subject'), ['Your sign-in code']);
    assert.match(mail.headers.get('content-type')?.[0] ?? '', /^text\/plain; charset=utf-8/);
    assert.equal(mail.body.trim(), 'Your code is 318274');
  });

  it('sends from SMTP_FROM when the message names no sender', async () => {
    const before = smtp.messages.length;
    assert.equal((await createSmtpChannel(settings()).send(email())).status, 'sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.deepEqual(mail?.headers.get('from'), ['Gatehouse Codes <codes@gatehouse.example>']);
    assert.equal(mail?.envelopeFrom, 'codes@gatehouse.example');
  });

  it('refuses a subject, to or from that would add a header or a recipient, and sends nothing', async () => {
    const channel = createSmtpChannel(settings());
    const before = smtp.messages.length;
    for (const [extra, reason] of [
      [{ subject: 'Code\r\nBcc: victim@example.net' }, /subject must be one line/],
      [{ subject: 'Code\nBcc: victim@example.net' }, /subject must be one line/],
      [{ subject: 'Code\rBcc: victim@example.net' }, /subject must be one line/],
      [{ to: 'person@example.com\r\nBcc: victim@example.net' }, /to is not/],
      [{ to: 'person@example.com, victim@example.net' }, /to is not/],
      [{ to: 'Person <person@example.com>' }, /to is not/],
      [{ to: 'person@example.com>\r\nX: y' }, /to is not/],
      [{ from: 'otp@shop.example\r\nReply-To: evil@example.net' }, /from is not/],
      [{ subject: '   ' }, /subject is empty/],
    ] as const) {
      const receipt = await channel.send(email(extra));
      assert.equal(receipt.status, 'failed', JSON.stringify(extra));
      assert.match(receipt.error ?? '', reason);
    }
    assert.equal((await channel.send(email({ to: 'not-an-address' }))).status, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(smtp.messages.length, before);
  });

  it('keeps header-looking lines in the body inside the body', async () => {
    const before = smtp.messages.length;
    const body = 'Your code is 1234\r\n\r\nBcc: victim@example.net\r\n.\r\nRCPT TO:<victim@example.net>';
    assert.equal((await createSmtpChannel(settings()).send(email({ body }))).status, 'sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.equal(mail?.headers.has('bcc'), false);
    assert.deepEqual(mail?.envelopeTo, ['person@example.com']);
    assert.match(mail?.body ?? '', /Bcc: victim@example\.net/);
  });

  it('encodes a non-ASCII subject rather than sending raw bytes in the header', async () => {
    const before = smtp.messages.length;
    assert.equal((await createSmtpChannel(settings()).send(email({ subject: 'Código de acceso ✓' }))).status, 'sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.match(mail?.headers.get('subject')?.[0] ?? '', /^=\?UTF-8\?[BQ]\?/i);
  });

  it('reports a wrong password as a failed receipt without the password or the body', async () => {
    const url = smtp.url.replace(smtp.password, 'wrong-password-99');
    const receipt = await createSmtpChannel(settings({ url })).send(email());
    assert.equal(receipt.status, 'failed');
    assert.match(receipt.error ?? '', /^smtp EAUTH 535/);
    assert.doesNotMatch(receipt.error ?? '', /wrong-password-99|318274/);
  });

  it('reports a refused recipient and an unreachable server as failed receipts', async () => {
    const refused = await createSmtpChannel(settings()).send(email({ to: 'nobody@refused.example' }));
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /550|refused/);
    const unreachable = await createSmtpChannel(settings({ url: 'smtp://u:p@127.0.0.1:9', timeoutMs: 1000 })).send(email());
    assert.equal(unreachable.status, 'failed');
    assert.match(unreachable.error ?? '', /^smtp (ESOCKET|ECONNECTION)\b.*ECONNREFUSED/);
  });
});
