/**
 * bench/voice: POST /voicetwilio/voice for an incoming call to a phone line with three agents —
 * X-Twilio-Signature checked, the line and its agents read (one prepared statement), TwiML built —
 * next to a bare Fastify hello-world measured in the same run (interleaved rounds, best of each).
 * The line is made before the clock starts, against a local fake of Twilio's REST API.
 * Run: npm run build && node --import tsx bench/voice.ts
 * Env: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), DATABASE_URL for PostgreSQL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { twilioSignature } from '../src/channels/twilio-status.js';
import { loadConfig } from '../src/config.js';
import type { Caller } from '../src/core/callers.js';
import { openRuntime } from '../src/runtime.js';
import { startFakeTwilio } from '../test/helpers/fake-twilio.js';
import { ROOT, bestOf, report, spawnServer, startGatehouse, startHelloWorld } from './lib.js';

const PUBLIC_URL = 'https://gatehouse.example';
const NUMBER = '+15550107000';

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

const hello = await startHelloWorld();
const gatehouse = await startGatehouse(env);
try {
  const check = await fetch(`${gatehouse.url}/voicetwilio/voice`, { method: 'POST', headers, body });
  const text = await check.text();
  if (check.status !== 200 || !text.includes('<Client')) throw new Error(`the voice URL did not ring the agents: ${check.status} ${text}`);
  const floor = await spawnServer([path.join(ROOT, 'bench/voice-floor.mjs')], {
    FLOOR_AUTH_TOKEN: twilio.authToken, FLOOR_PUBLIC_URL: PUBLIC_URL, FLOOR_NUMBER: NUMBER, FLOOR_TWIML: Buffer.from(text).toString('base64'),
  });
  try {
    const floorCheck = await fetch(`${floor.url}/voicetwilio/voice`, { method: 'POST', headers, body });
    if (floorCheck.status !== 200 || (await floorCheck.text()) !== text) throw new Error(`the floor did not answer the same TwiML: ${floorCheck.status}`);
    const FLOOR = 'floor: signature + TwiML, bare Fastify';
    const [baseline, floorRow, voice] = await bestOf([
      { name: 'bare Fastify hello-world, GET /', load: () => ({ url: `${hello.url}/`, pid: hello.child.pid }) },
      { name: FLOOR, load: () => ({ url: `${floor.url}/voicetwilio/voice`, method: 'POST', headers, body, pid: floor.child.pid }) },
      { name: `POST /voicetwilio/voice inbound, ${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, floor: FLOOR, load: () => ({ url: `${gatehouse.url}/voicetwilio/voice`, method: 'POST', headers, body, pid: gatehouse.child.pid }) },
    ]);
    if (!report('voice', baseline!, [floorRow!, { ...voice!, floor: FLOOR }])) process.exitCode = 1;
  } finally {
    await floor.stop();
  }
} finally {
  await gatehouse.stop();
  await hello.stop();
  await twilio.close();
}
