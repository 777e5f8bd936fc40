/**
 * What /docs and /openapi.json say beyond each route's schema, added to the generated document in one
 * place: a one-line description of every operation (its credentials), the error answers each may give
 * in its face's envelope, and a request body for "Try it out" that is a valid request (Swagger UI's own
 * sample fills every optional field with "string", which the schemas refuse).
 */

type Json = Record<string, any>;

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const CODE = '123456';
const REQUEST_ID = 'OTP0193a4b5c6d7e8f90123456789abcdef';
const BUCKETS = [{ name: 'hourly', max: '5', interval: '3600' }];

/** Example bodies by "METHOD path"; paths sharing a body shape share an example. */
function exampleFor(method: string, path: string): Json | undefined {
  const key = `${method.toUpperCase()} ${path}`;
  const exact: Record<string, Json> = {
    'POST /admin/tenants': { name: 'Acme EU', parent: '1' },
    'PATCH /admin/tenants/{tenant}': { email: 'ops@acme.example' },
    'POST /admin/tenants/{tenant}/sip-domains': { domain: 'sip.acme.example' },
    'POST /admin/accounts': { tenant: '1', email: 'agent@acme.example', password: 'correct horse battery', role: 'agent' },
    'PATCH /admin/accounts/{id}': { blocked: true },
    'POST /admin/accounts/{id}/api-keys': { name: 'ci' },
    'POST /2fa/secretkey': { agentId: 2 },
    'POST /2fa/code:verify': { secretKey: SECRET, code: CODE },
    'POST /global/agent2faConfigs': { agentId: 2, secretKey: SECRET, code: CODE },
    'POST /partnerglobal/superagent2faConfigs': { superAgentId: 2, secretKey: SECRET, code: CODE },
    'POST /global/siteAuthenticationConfigs': { siteId: 2, '2FARequirement': 1 },
    'PUT /global/siteAuthenticationConfigs': { siteId: 2, '2FARequirement': 0 },
    'POST /global/jwtToken/login': { partnerId: 1, siteId: 2, email: 'agent@acme.example', password: 'correct horse battery' },
    'POST /2fa/send': { service: '2FA', from: '+14155551111', to: '+14155551234', body: 'Your verification code is: {code}' },
    'POST /2fa/verify': { service: '2FA', requestId: REQUEST_ID, code: CODE },
    'POST /2fa/cancel': { requestId: REQUEST_ID },
    'POST /2fa/limits': { name: 'per-recipient', buckets: BUCKETS, description: 'five an hour' },
    'PUT /2fa/limits/{sid}': { buckets: BUCKETS },
    'PUT /2fa/settings/countries': { allowedCallingCodes: ['1', '44'] },
    'POST /2fa/fraud/blocked-prefixes/lift': { prefix: '+44-771' },
    'PUT /2fa/fraud/safe-numbers': { numbers: ['+919960639903'] },
  };
  if (exact[key]) return exact[key];
  if (/2faConfig/i.test(path)) return { secretKey: SECRET, code: CODE };
  if (/backupcode|\/2fa\/codes?$/i.test(path)) return path.includes('superagent') ? { superAgentId: 2 } : { agentId: 2 };
  if (/endlogin$/.test(path)) return { preLoginToken: 'ghp_the-token-login-answered', code: CODE, isSetCookie: false, isSKip2fa: false };
  if (/2fa:verify$/.test(path)) return { preLoginToken: 'ghp_the-token-login-answered', code: CODE };
  return undefined;
}

/** Values for fields whose names say what they hold, where a type alone would not pass the schema. */
const BY_NAME: Record<string, string | number> = {
  email: 'alice@example.org', phone: '+14155551234', phoneNumber: '+14155551234', number: '+14155551234', to: '+14155551234', from: '+14155551111',
  username: 'alice01', password: 'correct-horse', domain: 'sip.example.org', sip: 'sip:alice01@sip.example.org', algorithm: 'SHA-256',
  display_name: 'Alice', dtmf_protocol: 'rfc2833', key: 'front-desk', code: '123456', title: 'Team', description: 'Everyone on the team',
  value: 'a value', name: 'Support', url: 'https://example.org/hello.mp3', siteId: 2, agentId: 2,
};

/** An example a schema accepts, built from its required fields (named values, enums, formats, bounds). */
function exampleOf(schema: Json, name?: string): unknown {
  if (!schema || typeof schema !== 'object') return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return exampleOf(variants.find((v: Json) => v.type !== 'null') ?? variants[0], name);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((v: Json) => exampleOf(v, name) ?? {}));
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  const named = name !== undefined ? BY_NAME[name] : undefined;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const field of schema.required ?? []) out[field] = exampleOf(schema.properties?.[field] ?? {}, field);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(schema.items ?? {}, name));
    case 'integer':
    case 'number':
      return typeof named === 'number' ? named : schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'string': {
      if (schema.format === 'date-time') return '2026-11-30T12:00:00Z';
      if (schema.format === 'date') return '2026-11-30';
      if (schema.format === 'email') return 'alice@example.org';
      if (schema.format === 'uri') return 'https://example.org/';
      if (typeof named === 'string') return named;
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    }
    default:
      return named;
  }
}

type Face = 'smart2fa' | 'comm100' | 'plain';

const SMART2FA = /^\/2fa\/(send|verify|cancel|limits|sdr|usage|settings|callbacks)/;

function faceOf(path: string): Face {
  if (SMART2FA.test(path)) return 'smart2fa';
  if (/^\/(global|partnerglobal|globalapi|partnerglobalapi|loginapi|partnerloginapi)\b/.test(path) || path.startsWith('/2fa/')) return 'comm100';
  return 'plain';
}

const ENVELOPES: Record<Face, Json> = {
  smart2fa: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' }, requestID: { type: 'string', nullable: true } } },
  comm100: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, retryRemainingNumber: { type: 'string' } } },
  plain: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } } },
};

const FACE_NAME: Record<Face, string> = { smart2fa: 'Smart 2FA envelope {code, message, requestID}', comm100: 'Comm100 envelope {error, message}', plain: '{error: {code, message, field}}' };

const STATUS_MEANING: Record<string, string> = {
  '400': 'invalid input: the message names the field',
  '401': 'missing or bad credentials, or a wrong code',
  '403': 'not allowed for this credential',
  '404': 'not found within reach',
  '409': 'conflicts with what exists',
  '410': 'gone (expired or canceled)',
  '413': 'body larger than 64 KiB',
  '415': 'content type not accepted',
  '423': 'locked',
  '429': 'too many attempts',
  '500': 'internal error (logged with the request id)',
  '503': 'a shared service (database, Redis) is unavailable',
};

/** The error statuses an operation can answer, from what it takes. */
function errorStatuses(op: Json, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const takesInput = Boolean(op.requestBody) || (op.parameters ?? []).length > 0;
  if (takesInput) out['400'] = 'invalid input: the message names the field';
  if ((op.security ?? []).length > 0) {
    out['401'] = 'missing or bad credentials';
    out['403'] = 'the credential does not reach this tenant or account, or lacks the role';
  }
  if (path.includes('{')) out['404'] = 'no such resource within reach';
  if (op.requestBody) {
    out['413'] = 'body larger than 64 KiB';
    out['415'] = 'content type other than JSON (or form-encoded where accepted)';
  }
  return out;
}

function credentials(op: Json): string {
  const schemes = (op.security ?? []).flatMap((s: Json) => Object.keys(s));
  if (!schemes.length) return 'Public (no credentials).';
  const names: Record<string, string> = { basic: 'HTTP Basic (tenant SID + auth token)', apiKey: 'x-api-key', jwt: 'Bearer JWT' };
  return `Credentials: ${schemes.map((s: string) => names[s] ?? s).join(', ')}.`;
}

export function documentOperations(document: Json): Json {
  for (const [path, operations] of Object.entries<Json>(document.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(operations)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const face = faceOf(path);
      op.description ??= `${op.summary ?? `${method.toUpperCase()} ${path}`}. ${credentials(op)}`;
      for (const [status, why] of Object.entries(errorStatuses(op, path))) {
        op.responses[status] ??= { description: `${why} — ${FACE_NAME[face]}`, content: { 'application/json': { schema: ENVELOPES[face] } } };
      }
      // Error answers a route declared without words get the generic meaning of their status.
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (/^[45]/.test(status) && (!response.description || response.description === 'Default Response')) {
          response.description = `${STATUS_MEANING[status] ?? 'refused'} — ${FACE_NAME[face]}`;
        }
      }
      const json = op.requestBody?.content?.['application/json'];
      const example = exampleFor(method, path) ?? (json?.schema ? exampleOf(json.schema) : undefined);
      if (example !== undefined && json && json.example === undefined) json.example = example;
    }
  }
  return document;
}
