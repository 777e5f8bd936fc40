// Walks every cell of the voice role × capability table (src/core/voice/access.ts, printed in the README)
// through the HTTP routes: a role the table allows is never 401/403, a role it does not allow always is.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type VoiceCapability, VOICE_ACCESS } from '../../../src/core/voice/access.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { basic, call } from '../../helpers/server.js';
import { type VoiceWorld, startVoiceWorld } from './voice-world.js';

type Role = 'admin' | 'tenant' | 'superagent' | 'agent';
const ROLES = ['admin', 'tenant', 'superagent', 'agent'] as const;

test("the README's voice table is the code's table", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const printed: Record<string, string[]> = {};
  for (const line of readme.split('\n')) {
    const m = /^\| `(voice\.[a-z.]+)`[^|]*((?:\|[^|]*){4})\|$/.exec(line);
    if (!m) continue;
    const cells = m[2]!.split('|').slice(1);
    printed[m[1]!] = ROLES.filter((_, i) => cells[i]!.includes('✓'));
  }
  assert.deepEqual(printed, Object.fromEntries(Object.entries(VOICE_ACCESS).map(([k, v]) => [k, ROLES.filter((r) => v.includes(r))])));
});

for (const dialect of DIALECTS) {
  describe(`voice roles × capabilities on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    let headers: Record<Role, Record<string, string>>;
    before(async () => {
      w = await startVoiceWorld(dialect);
      const core = w.server.runtime.core;
      const site = (await core.tenants.find(w.siteA))!;
      const { authToken } = await core.tenants.addAuthToken({ tenantId: site.id, tenantSid: site.sid, tenantPath: site.path, accountId: null, role: 'tenant', via: 'basic' }, site.id);
      headers = { admin: w.admin, tenant: basic(site.sid, authToken), superagent: w.superP.headers, agent: w.agentA1.headers };
    });
    after(() => w.close());

    const s = () => w.siteA;
    const probes: Record<VoiceCapability, () => [method: string, path: string, body?: unknown]> = {
      'voice.token': () => ['GET', '/voicetwilio/token'],
      'voice.lines.read': () => ['GET', `/voiceconfig/phonelines?siteId=${s()}`],
      'voice.lines.manage': () => ['POST', '/voiceconfig/phonelines', { siteId: s(), name: 'probe', phoneNumber: '+1' }],
      'voice.numbers.read': () => ['GET', `/voiceconfig/phonenumbers?siteId=${s()}`],
      'voice.numbers.assign': () => ['PUT', '/voiceconfig/phonenumbers/+15550000001', { siteId: s() }],
      'voice.records.read': () => ['GET', `/voiceconfig/callrecords?siteId=${s()}`],
      'voice.account.manage': () => ['GET', `/voiceconfig/twilioaccount?siteId=${s()}`],
    };

    for (const capability of Object.keys(VOICE_ACCESS) as VoiceCapability[]) {
      test(`${capability}: ${VOICE_ACCESS[capability].join(', ')}`, async () => {
        for (const role of ROLES) {
          const [method, path, body] = probes[capability]();
          const res = await call(`${w.server.url}${path}`, { method, headers: headers[role], ...(body !== undefined && { json: body }) });
          const allowed = (VOICE_ACCESS[capability] as readonly string[]).includes(role);
          if (allowed) assert.ok(![401, 403].includes(res.status), `${role} ${method} ${path}: ${res.status} ${res.text}`);
          else assert.ok([401, 403].includes(res.status), `${role} ${method} ${path} should be refused: ${res.status} ${res.text}`);
          assert.ok(res.status < 500, `${role} ${method} ${path}: ${res.status}`);
        }
      });
    }
  });
}
