/** The login flow's failures, with the codes the Comm100 face spells as its documents do. */
import { GatehouseError, unauthenticated } from '../errors.js';
import { TwoFactorErrors } from '../twofactor/errors.js';

export const codeVerifyFailed = (retryRemainingNumber?: number) =>
  new GatehouseError(TwoFactorErrors.codeVerifyFailed, 'code verify failed', {
    field: 'code',
    ...(retryRemainingNumber !== undefined && { details: { retryRemainingNumber } }),
  });
export const loginTimeout = () => new GatehouseError(TwoFactorErrors.loginTimeout, 'Timeout', { field: 'preLoginToken' });
export const retriesExceeded = () => new GatehouseError(TwoFactorErrors.retriesExceeded, 'Number of retries exceeded', { field: 'preLoginToken' });
/** Says when the lock ends, so a client can tell its user (Comm100 shows it as lockedUntil). */
export const accountLocked = (lockedUntil: number) =>
  new GatehouseError(TwoFactorErrors.accountLocked, `account locked until ${new Date(lockedUntil).toISOString()}`, { details: { lockedUntil: new Date(lockedUntil).toISOString() } });
/** One answer for a wrong password, an unknown email, partner or site, and a blocked account. */
export const badCredentials = () => unauthenticated('email or password is incorrect');
export const badPreLoginToken = () => unauthenticated('preLoginToken is not valid');
