// Walks every voice cell of the role × capability table (src/core/roles.ts, printed in docs/security.md) through
// the HTTP routes with Twilio configured: a role the table allows is never 401/403, one it leaves out always is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Capability, scopeOf } from '../../../src/core/roles.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { basic, call } from '../../helpers/server.js';
import { type VoiceWorld, startVoiceWorld } from './voice-world.js';

type Role = 'admin' | 'tenant' | 'superagent' | 'agent';
type VoiceCapability = Extract<Capability, `voice.${string}`>;
const ROLES = ['admin', 'tenant', 'superagent', 'agent'] as const;

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
      'voice.numbers.assign': () => ['PUT', '/voiceconfig/phonenumbers/+14155550001', { siteId: s() }],
      'voice.records.read': () => ['GET', `/voiceconfig/callrecords?siteId=${s()}`],
      'voice.account.manage': () => ['GET', `/voiceconfig/twilioaccount?siteId=${s()}`],
    };

    for (const capability of Object.keys(probes) as VoiceCapability[]) {
      test(`${capability}: ${ROLES.filter((r) => scopeOf({ role: r }, capability)).join(', ')}`, async () => {
        for (const role of ROLES) {
          const [method, path, body] = probes[capability]();
          const res = await call(`${w.server.url}${path}`, { method, headers: headers[role], ...(body !== undefined && { json: body }) });
          const allowed = scopeOf({ role }, capability) !== null;
          if (allowed) assert.ok(![401, 403].includes(res.status), `${role} ${method} ${path}: ${res.status} ${res.text}`);
          else assert.ok([401, 403].includes(res.status), `${role} ${method} ${path} should be refused: ${res.status} ${res.text}`);
          assert.ok(res.status < 500, `${role} ${method} ${path}: ${res.status}`);
        }
      });
    }
  });
}
