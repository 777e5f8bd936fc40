/**
 * bench/voice: POST /voicetwilio/voice for an incoming call to a phone line with three agents —
 * X-Twilio-Signature checked, the line and its agents read (one prepared statement), TwiML built —
 * next to a bare Fastify hello-world measured in the same run (interleaved rounds in both orders, best
 * of each: lib's fairBestOf).
 * The line is made before the clock starts, against a local fake of Twilio's REST API.
 * Run: npm run build && node --import tsx bench/voice.ts
 * Env: BENCH_SECONDS (4), BENCH_ROUNDS (4), BENCH_CONNECTIONS (50), DATABASE_URL for PostgreSQL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { twilioSignature } from '../src/channels/twilio-status.js';
import { loadConfig } from '../src/config.js';
import type { Caller } from '../src/core/callers.js';
import { openRuntime } from '../src/runtime.js';
import { startFakeTwilio } from '../test/helpers/fake-twilio.js';
import { type BenchServer, ROOT, fairBestOf, report, spawnServer, startGatehouse, startHelloWorld, startInOrder, stopping } from './lib.js';

const PUBLIC_URL = 'https://gatehouse.example';
const NUMBER = '+14155557000';

const twilio = await startFakeTwilio();
twilio.addNumber(NUMBER);
const env: Record<string, string> = {
  GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-voice-')),
  GATEHOUSE_MASTER_KEY: 'ef'.repeat(32),
  GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
  TWILIO_ACCOUNT_SID: twilio.accountSid,
  TWILIO_AUTH_TOKEN: twilio.authToken,
  TWILIO_BASE_URL: twilio.url,
  ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
};

/** A partner, a site with three agents, and a line on NUMBER that rings them. */
async function prepare(): Promise<void> {
  const runtime = await openRuntime(loadConfig({ NODE_ENV: 'production', ...env }));
  try {
    const core = runtime.core;
    const partner = (await core.tenants.create(null, { name: 'Bench partner' })).tenant;
    const site = (await core.tenants.create(null, { name: 'Bench site', parent: partner.id })).tenant;
    const agents = await Promise.all([1, 2, 3].map((i) => core.accounts.create(null, { tenant: site.id, email: `agent${i}@bench.example`, role: 'agent' })));
    const admin: Caller = { tenantId: partner.id, tenantSid: partner.sid, tenantPath: partner.path, accountId: null, role: 'admin', via: 'api_key' };
    await core.voice.numbers.assign(admin, NUMBER, site.id);
    await core.voice.lines.create(admin, site.id, {
      name: 'Bench line', phoneNumber: NUMBER, agentIds: agents.map((a) => a.id),
      greeting: { type: 'say', text: 'Thank you for calling. Connecting you to an agent.', language: 'en-US' }, ringTimeout: 20,
      fallback: { type: 'voicemail', text: 'Please leave a message.', maxLength: 120 },
    });
  } finally {
    await runtime.close();
  }
}

await prepare();
const form = { AccountSid: twilio.accountSid, ApiVersion: '2010-04-01', CallSid: 'CA0123456789abcdef0123456789abcdef', CallStatus: 'ringing', Direction: 'inbound', From: '+14155550123', To: NUMBER };
const body = new URLSearchParams(form).toString();
const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(twilio.authToken, `${PUBLIC_URL}/voicetwilio/voice`, form) };

/** What the URL answers: 200 with TwiML that rings the agents, the same from Gatehouse and its floor. */
async function twiml(server: BenchServer): Promise<string> {
  const res = await fetch(`${server.url}/voicetwilio/voice`, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('<Client')) throw new Error(`the voice URL did not ring the agents: ${res.status} ${text}`);
  return text;
}

// The floor answers Gatehouse's own TwiML, taken from a first start (both orders start it again on the same data).
const first = await startGatehouse(env);
const expected = await twiml(first).finally(() => first.stop());
const FLOOR = 'floor: signature + TwiML, bare Fastify';
const startVoiceFloor = () =>
  spawnServer([path.join(ROOT, 'bench/voice-floor.mjs')], {
    FLOOR_AUTH_TOKEN: twilio.authToken, FLOOR_PUBLIC_URL: PUBLIC_URL, FLOOR_NUMBER: NUMBER, FLOOR_TWIML: Buffer.from(expected).toString('base64'),
  });
try {
  const [baseline, floorRow, voice] = await fairBestOf(async (reversed) => {
    const [hello, gatehouse, floor] = await startInOrder<BenchServer>([startHelloWorld, () => startGatehouse(env), startVoiceFloor], reversed);
    const stop = async () => void (await Promise.all([hello!.stop(), gatehouse!.stop(), floor!.stop()]));
    await stopping(stop, async () => {
      for (const server of [gatehouse!, floor!]) if ((await twiml(server)) !== expected) throw new Error('Gatehouse and its floor did not answer the same TwiML');
    });
    return {
      cases: [
        { name: 'bare Fastify hello-world, GET /', load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) },
        { name: FLOOR, load: () => ({ url: `${floor!.url}/voicetwilio/voice`, method: 'POST', headers, body, pid: floor!.child.pid }) },
        { name: `POST /voicetwilio/voice inbound, ${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, floor: FLOOR, load: () => ({ url: `${gatehouse!.url}/voicetwilio/voice`, method: 'POST', headers, body, pid: gatehouse!.child.pid }) },
      ],
      stop,
    };
  });
  if (!report('voice', baseline!, [floorRow!, { ...voice!, floor: FLOOR }])) process.exitCode = 1;
} finally {
  await twilio.close();
}
