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
/** lockedUntil (ms) lets a page say when the account unlocks; null when the lock's end is not known here. */
export const accountLocked = (lockedUntil: number | null = null) =>
  new GatehouseError(TwoFactorErrors.accountLocked, 'account locked', lockedUntil === null ? {} : { details: { lockedUntil } });
/** One answer for a wrong password, an unknown email, partner or site, and a blocked account. */
export const badCredentials = () => unauthenticated('email or password is incorrect');
export const badPreLoginToken = () => unauthenticated('preLoginToken is not valid');
