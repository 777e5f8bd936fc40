/**
 * A REGISTER with Digest over UDP, written from RFC 3261 §22 and RFC 8760 (SHA-256 for SIP Digest),
 * for what SIPp 3.6 cannot do: it answers only MD5 and AKAv1-MD5 challenges.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const H = (algorithm: string, text: string) => createHash(algorithm.toUpperCase() === 'SHA-256' ? 'sha256' : 'md5').update(text).digest('hex');

/** Sends the request, retransmitting every 500 ms (RFC 3261 Timer E, kept flat), until a final answer. */
function exchange(socket: ReturnType<typeof createSocket>, cseq: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const resend = setInterval(() => socket.send(request), 500);
    const timer = setTimeout(() => {
      clearInterval(resend);
      reject(new Error('no answer to REGISTER'));
    }, 20_000);
    const onMessage = (m: Buffer) => {
      const text = m.toString();
      if (!new RegExp(`\\r\\nCSeq: ${cseq} REGISTER`, 'i').test(text) || / 1\d\d /.test(text.split('\r\n')[0]!)) return;
      clearTimeout(timer);
      clearInterval(resend);
      socket.off('message', onMessage);
      resolve(text);
    };
    socket.on('message', onMessage);
    socket.send(request);
  });
}

/** Registers `user` at the registrar on 127.0.0.1:`port`; resolves with the final status and the challenge's algorithm. */
export async function registerWithDigest(port: number, user: { username: string; domain: string; password: string }, instance: string): Promise<{ status: number; algorithm: string | null }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.connect(port, '127.0.0.1', r));
  const local = socket.address();
  const callId = `${randomBytes(8).toString('hex')}@test`;
  const tag = randomBytes(4).toString('hex');
  const uri = `sip:${user.domain}`;
  const request = (cseq: number, authorization?: string) =>
    [
      `REGISTER ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local.port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`,
      `From: <sip:${user.username}@${user.domain}>;tag=${tag}`,
      `To: <sip:${user.username}@${user.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${user.username}@127.0.0.1:${local.port}>;+sip.instance="<urn:uuid:${instance}>"`,
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Max-Forwards: 70',
      'Expires: 600',
      'User-Agent: Gatehouse test REGISTER',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  try {
    const challenge = await exchange(socket, 1, request(1));
    const header = /\r\nWWW-Authenticate: Digest ([^\r]+)/i.exec(challenge)?.[1];
    if (!header) return { status: Number(challenge.split(' ')[1]), algorithm: null };
    const p: Record<string, string> = {};
    for (const m of header.matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]*))/gi)) p[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
    const algorithm = p.algorithm ?? 'MD5';
    const ha1 = H(algorithm, `${user.username}:${p.realm}:${user.password}`);
    const ha2 = H(algorithm, `REGISTER:${uri}`);
    const cnonce = randomBytes(8).toString('hex');
    const qop = p.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : null;
    const response = qop ? H(algorithm, `${ha1}:${p.nonce}:00000001:${cnonce}:auth:${ha2}`) : H(algorithm, `${ha1}:${p.nonce}:${ha2}`);
    const authorization =
      `Digest username="${user.username}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}` +
      (qop ? `, qop=auth, nc=00000001, cnonce="${cnonce}"` : '') +
      (p.opaque ? `, opaque="${p.opaque}"` : '');
    return { status: Number((await exchange(socket, 2, request(2, authorization))).split(' ')[1]), algorithm };
  } finally {
    socket.close();
  }
}
