/**
 * A minimal RFC 3261 user agent client for one request: a SIP MESSAGE (RFC 3428) over UDP to an
 * outbound proxy. It is a non-INVITE client transaction (RFC 3261 §17.1.2): the request is
 * retransmitted on Timer E (T1, doubling up to T2; T2 once a provisional answer came), and the
 * transaction gives up after Timer F (64·T1), which the caller sees as a 408 like any other final
 * answer. Responses are matched to the request by the Via branch and the CSeq (§17.1.3).
 */
import { randomBytes } from 'node:crypto';
import { type Socket, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { stripControls } from '../../channels/escape.js';
import { invalid } from '../errors.js';

export interface SipProxy {
  transport: 'udp';
  host: string;
  port: number;
}

export interface SipTimers {
  /** RFC 3261 T1, the round-trip estimate: 500 ms. */
  t1: number;
  /** RFC 3261 T2, the longest retransmit interval for non-INVITE requests: 4 s. */
  t2: number;
}

export const RFC3261_TIMERS: SipTimers = { t1: 500, t2: 4000 };

export interface SipMessage {
  /** The sender's address of record, `sip:user@domain`. */
  from: string;
  /** The receiver's address, `sip:user@domain`: also the Request-URI. */
  to: string;
  body: string;
}

export interface SipFinalResponse {
  status: number;
  reason: string;
  /** True when no final answer came before Timer F: status is then 408. */
  timedOut: boolean;
}

export interface SipMessageSent extends SipFinalResponse {
  callId: string;
}

/** `sip:` or `sips:`, a user part and a host[:port]; nothing that could break a header line. */
const SIP_URI = /^sips?:[A-Za-z0-9._~+!$&'()*,;=%-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/;

export const isSipAddress = (value: string): boolean => SIP_URI.test(value);

/** Reads `udp:host:port` (the setting GATEHOUSE_SIP_PROXY); an IPv6 host is bracketed. */
export function parseSipProxy(value: string): SipProxy | null {
  const m = /^udp:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { transport: 'udp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const token = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The request's bytes, and what a response must echo to belong to it. No header value carries a
 * control character (each line ends at its own CRLF only; the addresses are checked besides), and
 * the body keeps its line breaks (as LF) and tabs but no other control character.
 */
export function buildMessageRequest(
  message: SipMessage,
  local: { host: string; port: number },
  ids: { branch: string; tag: string; callId: string; cseq: number },
): Buffer {
  const msg = { from: stripControls(message.from), to: stripControls(message.to) };
  const body = Buffer.from(stripControls(message.body.replace(/\r\n?/g, '\n'), { keep: '\n\t' }), 'utf8');
  const host = stripControls(isIPv6(local.host) ? `[${local.host}]` : local.host);
  const head = [
    `MESSAGE ${msg.to} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host}:${local.port};branch=${ids.branch};rport`,
    'Max-Forwards: 70',
    `From: <${msg.from}>;tag=${ids.tag}`,
    `To: <${msg.to}>`,
    `Call-ID: ${ids.callId}`,
    `CSeq: ${ids.cseq} MESSAGE`,
    'Content-Type: text/plain;charset=UTF-8',
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

interface ParsedResponse {
  status: number;
  reason: string;
  branch: string | null;
  cseq: string | null;
}

const COMPACT: Record<string, string> = { v: 'via' };

/** The status line, the top Via's branch and the CSeq of a response; null if it is not one. */
export function parseResponse(datagram: Buffer): ParsedResponse | null {
  const text = datagram.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end === -1 ? text : text.slice(0, end)).split('\r\n');
  const status = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(lines[0] ?? '');
  if (!status) return null;
  let branch: string | null = null;
  let cseq: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    if (name === 'via' && branch === null) branch = /;\s*branch=([^;,\s]+)/i.exec(value)?.[1] ?? '';
    if (name === 'cseq') cseq = value.replace(/\s+/g, ' ');
  }
  return { status: Number(status[1]), reason: status[2] ?? '', branch, cseq };
}

/** Sends one MESSAGE through the proxy and resolves with its final answer. */
export async function sendSipMessage(proxy: SipProxy, msg: SipMessage, timers: SipTimers = RFC3261_TIMERS): Promise<SipMessageSent> {
  if (!isSipAddress(msg.to)) throw invalid('to', 'must be a SIP address such as sip:user@domain');
  if (!isSipAddress(msg.from)) throw invalid('from', 'must be a SIP address such as sip:user@domain');
  const socket = createSocket(isIPv6(proxy.host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(proxy.port, proxy.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const local = socket.address();
    const ids = { branch: `z9hG4bK${token(12)}`, tag: token(8), callId: `${token(16)}@gatehouse`, cseq: 1 };
    const request = buildMessageRequest(msg, { host: local.address, port: local.port }, ids);
    return { ...(await runTransaction(socket, request, ids, timers)), callId: ids.callId };
  } finally {
    socket.close();
  }
}

function runTransaction(
  socket: Socket,
  request: Buffer,
  ids: { branch: string; cseq: number },
  { t1, t2 }: SipTimers,
): Promise<SipFinalResponse> {
  return new Promise((resolve) => {
    let interval = t1;
    let retransmit: NodeJS.Timeout | undefined;
    const finish = (answer: SipFinalResponse) => {
      clearTimeout(retransmit);
      clearTimeout(timerF);
      socket.off('message', onMessage);
      socket.off('error', onError);
      resolve(answer);
    };
    const send = () => socket.send(request);
    const scheduleE = () => {
      retransmit = setTimeout(() => {
        send();
        interval = Math.min(interval * 2, t2);
        scheduleE();
      }, interval);
    };
    const timerF = setTimeout(() => finish({ status: 408, reason: 'Request Timeout', timedOut: true }), 64 * t1);
    // An ICMP port-unreachable on a connected UDP socket: nobody listens, as final as a 503.
    const onError = () => finish({ status: 503, reason: 'Service Unavailable', timedOut: false });
    const onMessage = (datagram: Buffer) => {
      const r = parseResponse(datagram);
      if (!r || r.branch !== ids.branch || r.cseq !== `${ids.cseq} MESSAGE`) return;
      if (r.status >= 200) return finish({ status: r.status, reason: r.reason, timedOut: false });
      // Proceeding (§17.1.2.2): keep retransmitting, every T2.
      interval = t2;
      clearTimeout(retransmit);
      scheduleE();
    };
    socket.on('message', onMessage);
    socket.on('error', onError);
    send();
    scheduleE();
  });
}
