/**
 * Storage spans, when traces are on (observability/tracing.ts): one per query, Kysely's and the
 * prepared hot-path statements' alike, named for its operation (SELECT, INSERT…) and carrying its SQL
 * text with the placeholders, never the values.
 */
import type { Dialect } from 'kysely';
import { traced } from '../observability/tracing.js';
import { aroundQueries } from './changes.js';
import type { Statement, Statements } from './statements.js';

type System = 'sqlite' | 'postgresql';

const operation = (sql: string) => /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
const attributes = (system: System, sql: string) => ({ 'db.system.name': system, 'db.query.text': sql });

export function tracedDialect(dialect: Dialect, system: System): Dialect {
  return aroundQueries(dialect, (query, execute) => traced(operation(query.sql), attributes(system, query.sql), execute));
}

export function tracedStatements(statements: Statements, system: System): Statements {
  return {
    ...statements,
    prepare<Row>(text: string, options?: Parameters<Statements['prepare']>[1]): Statement<Row> {
      const statement = statements.prepare<Row>(text, options);
      const name = operation(text);
      const attrs = attributes(system, text);
      return {
        get: (...params) => traced(name, attrs, () => statement.get(...params)),
        all: (...params) => traced(name, attrs, () => statement.all(...params)),
        run: (...params) => traced(name, attrs, () => statement.run(...params)),
        insert: (...params) => traced(name, attrs, () => statement.insert(...params)),
      };
    },
  };
}
