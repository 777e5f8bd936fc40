// The least an inbound-call webhook can cost on this machine: a bare Fastify route with Fastify's own
// form parser (@fastify/formbody), Twilio's signature checked (one HMAC-SHA1 over the public URL and
// the sorted parameters, compared in constant time), the line found by its number in memory (as
// Gatehouse's fresh cache keeps it) and the same TwiML answered. Used by bench/voice.ts.
// FLOOR_AUTH_TOKEN, FLOOR_PUBLIC_URL and FLOOR_TWIML (the answer, base64) come from the bench.
import { createHmac, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

const authToken = process.env.FLOOR_AUTH_TOKEN ?? '';
const url = `${process.env.FLOOR_PUBLIC_URL}/voicetwilio/voice`;
const twiml = Buffer.from(process.env.FLOOR_TWIML ?? '', 'base64').toString();
const lines = new Map([[process.env.FLOOR_NUMBER, twiml]]);

const app = Fastify({ logger: false });
await app.register(formbody);
app.post('/voicetwilio/voice', async (request, reply) => {
  const params = request.body;
  let data = url;
  for (const key of Object.keys(params).sort()) data += key + params[key];
  const expected = createHmac('sha1', authToken).update(data).digest();
  const given = Buffer.from(String(request.headers['x-twilio-signature'] ?? ''), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(403).send('');
  const answer = lines.get(params.To);
  if (answer === undefined) return reply.code(404).send('');
  return reply.type('text/xml; charset=utf-8').send(answer);
});
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ msg: 'gatehouse listening', address }) + '\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
