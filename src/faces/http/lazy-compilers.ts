/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for answers), run when a route
 * is first used instead of for all of them at start.
 *
 * Gatehouse serves several hundred operations across its faces and a deployment uses a few of them:
 * compiling every validator and serializer up front held about a third of the idle process's memory
 * and most of its start time. A schema is compiled once, on the first request that needs it; the tests
 * reach every operation, so a schema that does not compile still fails there.
 */
import ValidatorSelector from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type BuildValidator = (externalSchemas: unknown, options: unknown) => (definition: unknown) => Validate;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (definition: unknown) => (data: unknown) => string;

function lazyValidators(build: BuildValidator): BuildValidator {
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (definition) => {
      let real: Validate | undefined;
      // Fastify reads `errors` off the function it was given after a failed validation.
      const validate: Validate = (data) => {
        real ??= compile(definition);
        const ok = real(data);
        validate.errors = real.errors;
        return ok;
      };
      return validate;
    };
  };
}

function lazySerializers(build: BuildSerializer): BuildSerializer {
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (definition) => {
      let real: ((data: unknown) => string) | undefined;
      return (data) => (real ??= compile(definition))(data);
    };
  };
}

// Fastify's types want Ajv's own function types; these wrappers keep only what Fastify calls.
export const lazyCompilers = {
  buildValidator: lazyValidators((ValidatorSelector as unknown as () => BuildValidator)()),
  buildSerializer: lazySerializers((SerializerSelector as unknown as () => BuildSerializer)()),
} as unknown as CompilersFactory;
