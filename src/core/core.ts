/** Builds every core module once from its dependencies; faces receive this object, never storage. */
import type { Channel } from '../channels/channel.js';
import { createAccounts } from './accounts/accounts.js';
import { createAudit } from './audit/audit.js';
import { createChangeLog } from './changes/changes.js';
import { createCsrf, loadCsrfKey } from './csrf/csrf.js';
import type { CoreDeps } from './context.js';
import { createCredentials } from './credentials/credentials.js';
import { createCredentialInventory } from './credentials/inventory.js';
import { createLifecycle } from './accounts/lifecycle.js';
import { loadSigningKeys } from './credentials/signing-keys.js';
import { deviceCookies, loadDeviceKey } from './login/device-cookies.js';
import { createEvents } from './events/events.js';
import { createWebhooks } from './events/webhooks.js';
import { registerWebhookDelivery } from './events/delivery.js';
import { expirySweep } from './events/expiry-sweep.js';
import { createLogin } from './login/login.js';
import { createChallenges } from './passkeys/challenges.js';
import { createPasskeys } from './passkeys/passkeys.js';
import { loadServerKey } from './secrets/server-keys.js';
import { createOutbox } from './outbox/outbox.js';
import { createTenants } from './tenants/tenants.js';
import { createTrustedDevices } from './trusted-devices/trusted-devices.js';
import { createTwoFactor } from './twofactor/twofactor.js';
import { createSipDirectory } from './sip-directory/directory.js';
import { createSipStatistics } from './sip-statistics/statistics.js';
import { createSipMessages } from './sip/messages.js';
import { kamailioRegistrar } from './sip/kamailio-registrar.js';
import { createBuckets } from '../state/buckets.js';
import { createLimits } from './limits/limits.js';
import { codeHasher, loadPepper } from './verifications/codes.js';
import { createRecords } from './verifications/records.js';
import { createDeliveryView } from './verifications/delivery-view.js';
import { createSettings } from './verifications/settings.js';
import { createVerifications } from './verifications/verifications.js';
import { createFraudGuard } from './fraud/guard.js';
import { createVoice } from './voice/voice.js';
import { createQueue } from './queue/queue.js';
import { createFlexisip } from './flexisip/flexisip.js';
import { createDigestAuth } from './sip/authenticate.js';
import { createGuessing } from './guessing/guessing.js';
import { createNonces, loadNonceKey } from './sip/nonces.js';

export interface Channels {
  /** Where each channel's messages go; the outbox for all of them by default. */
  sms: Channel;
  call: Channel;
  email: Channel;
}

export async function createCore(deps: CoreDeps, channels: Channels) {
  const tenants = createTenants(deps);
  // The delivery queue: handlers register on it below; a server starts its workers (server.ts).
  const queue = createQueue(deps);
  const accounts = createAccounts(deps, tenants);
  const signingKeys = await loadSigningKeys(deps.db, deps.sealer);
  const credentials = createCredentials(deps, accounts, signingKeys);
  const inventory = createCredentialInventory(deps, accounts, tenants);
  const lifecycle = createLifecycle(deps, accounts, tenants);
  const outbox = createOutbox(deps);
  const pepper = await loadPepper(deps.db, deps.sealer);
  const twoFactor = createTwoFactor(deps, tenants, pepper);
  await twoFactor.upgradeBackupCodes();
  const audit = createAudit(deps, tenants);
  const changeLog = createChangeLog(deps, tenants);
  twoFactor.onEvent((e) => audit.recordTwoFactorEvent(e));
  const trustedDevices = createTrustedDevices(deps, twoFactor, audit);
  const buckets = createBuckets(deps.state, deps);
  const guessing = createGuessing(deps, audit);
  const devices = deviceCookies(await loadDeviceKey(deps.db, deps.sealer));
  const challenges = createChallenges(await loadServerKey(deps.db, deps.sealer, 'server_secrets', 'passkey_challenge_key'), deps.state);
  const passkeys = createPasskeys(deps, { audit, challenges });
  const webhooks = createWebhooks(deps, tenants, queue);
  const events = createEvents(webhooks);
  registerWebhookDelivery(deps, queue);
  // Started by a server only (server.ts), like the queue's workers.
  const expiredEvents = expirySweep(deps, queue);
  const login = createLogin(deps, { twoFactor, credentials, trustedDevices, audit, buckets, devices, passkeys, events });
  // A password change or a 2FA reset ends the account's JWTs, trusted devices and logins in progress.
  const revokeSessions = async (accountId: number) => {
    await credentials.revokeJwts(accountId);
    await trustedDevices.forgetAll(accountId);
    await login.forgetPreLoginTokens(accountId);
  };
  accounts.onPasswordChange(revokeSessions);
  twoFactor.onEvent((e) => (e.type === 'removal' && e.accountId !== null ? revokeSessions(e.accountId) : undefined));
  // An admin's "reset 2FA" (a removal by someone else) takes the passkeys too; turning one's own TOTP off does not.
  twoFactor.onEvent((e) => (e.type === 'removal' && e.accountId !== null && e.actorAccountId !== e.accountId ? passkeys.removeAll(e.accountId, e.tenantId, e.actorAccountId, e.ip).then(() => undefined) : undefined));
  // ...so a reset of an account with passkeys and no TOTP is not a 404.
  twoFactor.countOtherFactors(passkeys.count);
  const limits = createLimits(deps, tenants);
  const settings = createSettings(deps);
  const hasher = codeHasher(pepper);
  const fraud = createFraudGuard(deps, channels);
  const verifications = createVerifications(deps, { channels, buckets, limits, settings, hasher, queue, fraud, events });
  const records = createRecords(deps, limits);
  const delivery = createDeliveryView(deps, limits);
  const voice = createVoice(deps, { tenants, settings });
  const sip = createDigestAuth(deps, createNonces(await loadNonceKey(deps.db, deps.sealer), deps.state));
  const registrarRpc = deps.config.sip.registrarRpcUrl;
  const flexisip = createFlexisip(deps, { channels, verifications, credentials, registrar: registrarRpc ? kamailioRegistrar(registrarRpc) : null });
  const sipDirectory = createSipDirectory(deps);
  const sipStatistics = createSipStatistics(deps);
  const sipMessages = createSipMessages(deps);
  const csrf = createCsrf(await loadCsrfKey(deps.db, deps.sealer));
  return {
    deps,
    channels,
    queue,
    tenants,
    accounts,
    credentials,
    inventory,
    lifecycle,
    outbox,
    twoFactor,
    audit,
    changeLog,
    guessing,
    trustedDevices,
    login,
    passkeys,
    limits,
    settings,
    buckets,
    verifications,
    fraud,
    records,
    delivery,
    voice,
    sip,
    flexisip,
    sipDirectory,
    sipStatistics,
    sipMessages,
    csrf,
    webhooks,
    events,
    expiredEvents,
  };
}

export type Core = Awaited<ReturnType<typeof createCore>>;
