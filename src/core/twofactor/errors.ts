/**
 * The second factor's error codes. The Comm100 face shows each as the `error` string its documents
 * spell (e.g. "secretKey have exited"); the login flow raises the last three.
 */
export const TwoFactorErrors = {
  codeVerifyFailed: 'code_verify_failed',
  secretKeyExists: 'secret_key_exists',
  loginTimeout: 'login_timeout',
  retriesExceeded: 'retries_exceeded',
  accountLocked: 'account_locked',
  /** Too many password tries for an email or from a client address (token buckets); details.retryAfter in seconds. */
  passwordRateLimited: 'password_rate_limited',
} as const;
