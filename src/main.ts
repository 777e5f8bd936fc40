#!/usr/bin/env node
/** The gatehouse command line: the commands are the table in cli/commands.ts; this runs one. */
import { ConfigError, SETTINGS, loadConfig } from './config.js';
import { GatehouseError } from './core/errors.js';
import { MasterKeyError } from './core/secrets/envelope.js';
import type { Runtime } from './runtime.js';
import { StartError, databaseRefusal } from './start-refusals.js';
import { COMMANDS, type Context, UsageError, findCommand, output, parseOptions, usageLine, version } from './cli/commands.js';

const usage = () => `usage: gatehouse <command> [options] [--json]

${COMMANDS.map((c) => `  ${usageLine(c)}\n      ${c.summary}`).join('\n')}
  --version
      print the version

Without --json a command prints a table; with it, one line of JSON. Dates are ISO 8601 (UTC).

settings (environment or GATEHOUSE_CONFIG file):
${SETTINGS.map(([n, d, m]) => `  ${n.padEnd(34)} ${m} (default ${d})`).join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  if (!first || first === 'help' || first === '--help' || first === '-h') {
    process.stdout.write(usage());
    return first ? 0 : 2;
  }
  if (first === '--version' || first === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`gatehouse: unknown command "${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}"\n\n${usage()}`);
    return 2;
  }
  const { command, rest } = found;
  // Usage is checked before the configuration is read: a wrong command line says so, whatever the setup.
  const { values, json } = parseOptions(command, rest);
  if (command.plain) return command.run({ values, out: output(json) } as Context);
  const config = loadConfig();
  const withRuntime: Context['withRuntime'] = async (fn) => {
    const runtime = await (await import('./runtime.js')).openRuntime(config);
    try {
      await recordedIfChange(runtime.core, command.name, rest, () => fn(runtime));
    } finally {
      await runtime.close();
    }
    return 0;
  };
  // A command that meets PostgreSQL missing or unreachable says so in one line (start-refusals.ts).
  try {
    return await command.run({ values, config, out: output(json), withRuntime });
  } catch (err) {
    throw databaseRefusal(config.database, err) ?? err;
  }
}

/**
 * A command that changes something is recorded in the admin audit trail like a change over HTTP
 * (core/changes recordChange): done, or refused with its error code. Only the allow-listed options'
 * values are kept (cli-changes.ts), never a password.
 */
async function recordedIfChange(core: Runtime['core'], key: string, args: string[], fn: () => Promise<void>): Promise<void> {
  const { changesSomething, cliChange } = await import('./cli-changes.js');
  if (!changesSomething(key, args)) return fn();
  try {
    await fn();
  } catch (err) {
    if (err instanceof GatehouseError) await core.changeLog.recordChange(cliChange(key, args, err.code));
    throw err;
  }
  await core.changeLog.recordChange(cliChange(key, args, null));
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    if (err instanceof UsageError) process.stderr.write(`gatehouse: ${err.message} (gatehouse help)\n`);
    else if (err instanceof ConfigError) process.stderr.write(`gatehouse: configuration error: ${err.message}\n`);
    else if (err instanceof GatehouseError || err instanceof StartError || err instanceof MasterKeyError) process.stderr.write(`gatehouse: ${err.message}\n`);
    else process.stderr.write(`gatehouse: ${(err as Error).stack ?? err}\n`);
    process.exitCode = err instanceof ConfigError || err instanceof UsageError ? 2 : 1;
  },
);
