/** `gatehouse serve`: the server on the configured port, until SIGTERM or SIGINT. */
import type { Config } from '../config.js';
import type { Core } from '../core/core.js';
import { bootstrapIfEmpty } from '../core/bootstrap.js';
import { handOverBootstrap } from '../first-start.js';
import { warnAboutChannels } from '../channels/readiness.js';
import { StartError, deliveryRefusal } from '../start-refusals.js';

// The server and the runtime are loaded only by the commands that use them, so that a light command
// (totp, help) starts in a fraction of the time.
const loadRuntime = async () => (await import('../runtime.js')).openRuntime;

export async function serve(config: Config): Promise<number> {
  const refused = deliveryRefusal(config);
  if (refused) throw refused;
  const { buildServer } = await import('../server.js');
  const runtime = await (await loadRuntime())(config);
  const app = await buildServer(runtime);
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close().catch(() => {});
    await runtime.close().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartError(`port ${config.port} on ${config.host} is already in use (PORT, HOST)`);
    throw err;
  }
  // Only once the server listens: credentials made by a start that then fails would be lost.
  const bootstrap = await bootstrapIfEmpty(runtime.core);
  if (bootstrap) handOverBootstrap(bootstrap, config.dataDir, process.stdout, process.stderr);
  warnAboutChannels(config, app.log);
  await reportMisplacedAccounts(runtime.core, app.log);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    app
      .close()
      .then(() => app.log.info('http server closed; closing storage'))
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  app.log.info({ address, database: config.database.dialect, sharedState: runtime.state.backend }, 'gatehouse listening');
  return -1; // keep running
}

/** One line at every start while accounts sit, blocked, on a SIP domain their tenant does not own (0013_domain_owner). */
async function reportMisplacedAccounts(core: Core, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const misplaced = await core.accounts.misplaced();
  if (misplaced.length === 0) return;
  log.warn(
    { misplacedAccounts: misplaced.map((a) => ({ id: a.id, tenant: a.tenantSid, domain: a.domain })) },
    `${misplaced.length} account(s) named a SIP domain their tenant does not own: blocked and taken out of the domain until an admin resolves them (gatehouse account misplaced)`,
  );
}

