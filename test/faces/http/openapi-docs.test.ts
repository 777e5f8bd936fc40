import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import AjvModule from 'ajv';
import formatsModule from 'ajv-formats';
import { type TestServer, startTestServer } from '../../helpers/server.js';

// ajv is what Fastify validates bodies with (a dependency of fastify); CommonJS default exports.
const Ajv = AjvModule.default;
const addFormats = formatsModule.default;

describe('OpenAPI: every operation is documented for /docs', () => {
  let server: TestServer;
  let spec: any;
  before(async () => {
    server = await startTestServer('sqlite');
    spec = await (await fetch(`${server.url}/openapi.json`)).json();
  });
  after(() => server?.close());

  const operations = () =>
    Object.entries<any>(spec.paths).flatMap(([path, ops]) => Object.entries<any>(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })));

  it('has a one-line description and its error answers', () => {
    assert.ok(operations().length > 50);
    for (const { name, op } of operations()) {
      assert.ok(typeof op.description === 'string' && op.description.length > 10 && !op.description.includes('\n'), `${name}: description`);
      const errors = Object.keys(op.responses).filter((s) => /^[45]\d\d$/.test(s));
      if (op.requestBody || op.security?.length || op.parameters?.length) assert.ok(errors.length > 0, `${name}: error answers`);
      for (const s of errors) assert.ok(op.responses[s].description && op.responses[s].description !== 'Default Response', `${name} ${s}: described`);
      if (op.security?.length) assert.ok(errors.includes('401') && errors.includes('403'), `${name}: 401 and 403`);
    }
  });

  it('offers "Try it out" a request body its own schema accepts', () => {
    const ajv = new Ajv({ strict: false, coerceTypes: 'array', allErrors: true });
    addFormats(ajv);
    let checked = 0;
    for (const { name, op } of operations()) {
      const json = op.requestBody?.content?.['application/json'];
      if (!json || name === 'POST /2fa/callbacks/twilio/status') continue;
      assert.ok(json.example !== undefined, `${name}: has an example body`);
      const validate = ajv.compile(json.schema);
      assert.ok(validate(structuredClone(json.example)), `${name}: ${ajv.errorsText(validate.errors)}`);
      checked++;
    }
    assert.ok(checked > 40);
  });
});
