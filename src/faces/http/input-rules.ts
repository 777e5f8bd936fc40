/**
 * Rules every request's input obeys on every face, checked once before schema validation so that a
 * refusal is a validation error in the route's own envelope naming the field:
 *
 * - No string holds a NUL character. PostgreSQL cannot store one in a text column (the statement
 *   fails: a 500 on every face), and no field of any specification has a use for it.
 * - A number is finite. Ajv coerces "Infinity", "-Infinity" and "1e309" in a path, a query or a
 *   form body to Infinity and then skips minimum/maximum for it (they are guarded by isFinite), so
 *   an integer field would hand Infinity to core. The JSON literal 1e309 is refused by Ajv's
 *   strictNumbers (server.ts); the strings are refused here, for the fields the schema types as numbers.
 */
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { invalid } from '../../core/errors.js';

/**
 * The dotted path of the first string (or key) holding a NUL, or null. Iterative: bodies may nest
 * deeply. Paths are spelled out only for the one found: every request is walked, almost none hold one.
 */
export function fieldWithNul(value: unknown): string | null {
  if (typeof value === 'string') return value.includes('\0') ? 'body' : null;
  const stack: Array<{ v: unknown; key: string; parent: number }> = [{ v: value, key: '', parent: -1 }];
  const seen: Array<{ key: string; parent: number }> = [];
  const pathOf = (key: string, parent: number) => {
    const keys = [key];
    for (let at = parent; at > 0; at = seen[at]!.parent) keys.unshift(seen[at]!.key);
    return keys.join('.');
  };
  while (stack.length > 0) {
    const { v, key, parent } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const self = seen.push({ key, parent }) - 1;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (k.includes('\0')) return self === 0 ? 'body' : pathOf(key, parent);
      const child = (v as Record<string, unknown>)[k];
      if (typeof child === 'string') {
        if (child.includes('\0')) return self === 0 ? k : pathOf(k, self);
      } else if (child !== null && typeof child === 'object') stack.push({ v: child, key: k, parent: self });
    }
  }
  return null;
}

type Schema = { type?: unknown; anyOf?: Schema[]; oneOf?: Schema[]; properties?: Record<string, Schema> };

const isNumeric = (s: Schema | undefined): boolean =>
  !!s && (s.type === 'integer' || s.type === 'number' || !!s.anyOf?.some(isNumeric) || !!s.oneOf?.some(isNumeric));

/** The top-level properties a schema types as numbers, worked out once per schema. */
const numericFields = new WeakMap<object, string[]>();
function numericKeys(schema: Schema | undefined): string[] {
  if (!schema?.properties) return [];
  let keys = numericFields.get(schema);
  if (!keys) {
    keys = Object.entries(schema.properties).filter(([, s]) => isNumeric(s)).map(([k]) => k);
    numericFields.set(schema, keys);
  }
  return keys;
}

/** The first numeric field given as a string that is not a finite number, or null. */
function fieldWithInfinity(values: unknown, schema: Schema | undefined): string | null {
  if (values === null || typeof values !== 'object') return null;
  for (const key of numericKeys(schema)) {
    const raw = (values as Record<string, unknown>)[key];
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v === 'string' && v.trim() !== '' && !Number.isFinite(Number(v))) return key;
    }
  }
  return null;
}

function refusal(request: FastifyRequest) {
  const nul = fieldWithNul(request.params) ?? fieldWithNul(request.query) ?? fieldWithNul(request.body);
  if (nul !== null) return invalid(nul, 'must not contain a NUL character');
  const schema = request.routeOptions.schema as { params?: Schema; querystring?: Schema; body?: Schema } | undefined;
  if (!schema) return null;
  const infinite =
    fieldWithInfinity(request.params, schema.params) ?? fieldWithInfinity(request.query, schema.querystring) ?? fieldWithInfinity(request.body, schema.body);
  return infinite === null ? null : invalid(infinite, 'must be a finite number');
}

const checkInput: preValidationHookHandler = (request, _reply, done) => {
  const error = refusal(request);
  if (error) done(error);
  else done();
};

export function useInputRules(app: FastifyInstance): void {
  app.addHook('preValidation', checkInput);
}
