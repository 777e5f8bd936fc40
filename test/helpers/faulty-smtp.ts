/**
 * A real SMTP server (smtp-server) that fails on cue, for the delivery queue's tests: for an address,
 * the next RCPT TO commands answer the given reply codes in order (451 "try again later", 550
 * "mailbox unavailable"…), then it accepts; `slowMs` delays every DATA. It keeps each accepted
 * message, by recipient, which is what tests count.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { type ReceivedMail, parseMessage } from './smtp.js';

export interface FaultySmtp {
  url: string;
  messages: ReceivedMail[];
  /** RCPT TO commands seen per address (accepted or refused). */
  rcpts: Map<string, number>;
  /** The next RCPT TO commands for this address answer these reply codes, one each. */
  failFor(address: string, codes: number[]): void;
  slowMs: number;
  close(): Promise<void>;
}

export async function startFaultySmtp(): Promise<FaultySmtp> {
  const messages: ReceivedMail[] = [];
  const rcpts = new Map<string, number>();
  const script = new Map<string, number[]>();
  const state = { slowMs: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address;
      rcpts.set(to, (rcpts.get(to) ?? 0) + 1);
      const code = script.get(to)?.shift();
      if (code !== undefined) return callback(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        setTimeout(() => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mailFrom = session.envelope.mailFrom;
          messages.push({ envelopeFrom: mailFrom ? mailFrom.address : null, envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, ...parseMessage(raw) });
          callback();
        }, state.slowMs);
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rcpts,
    failFor(address, codes) {
      script.set(address, [...(script.get(address) ?? []), ...codes]);
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms: number) {
      state.slowMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
