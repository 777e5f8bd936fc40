/**
 * What core counts for the business metrics: sign-ins, one-time codes, locks and second factors. Core
 * only counts, through this interface handed over in CoreDeps; the server renders the counts on /metrics
 * (observability/business-metrics.ts), so core knows nothing of Prometheus or HTTP.
 */

/** How a sign-in step ended: the password step (factor password, or trusted_device when a trusted device skipped 2FA) or a second factor. */
export type SignInOutcome = 'success' | 'failure' | 'locked' | 'rate_limited';
export type SignInFactor = 'password' | 'trusted_device' | 'totp' | 'backup_code' | 'passkey';

export interface BusinessMetrics {
  /** A sign-in step ended: a password that led to a JWT or was refused, or a TOTP or backup code tried. */
  signIn(outcome: SignInOutcome, factor: SignInFactor): void;
  /** A one-time code was made and handed to its channel; country is the calling code ("44"), "none" for email. */
  codeSent(channel: string, country: string): void;
  /** One try to deliver a code on a channel: accepted by the provider (2xx), to be retried, or failed. */
  deliveryAttempt(channel: string, provider: string, outcome: 'accepted' | 'retry' | 'failed'): void;
  /** A one-time code was verified. */
  codeVerified(channel: string): void;
  /** An account was locked by a run of second-factor failures. */
  loginLocked(): void;
  /** A TOTP code was accepted (sign-in, v1 verify or setup). */
  totpUsed(): void;
  /** A backup code was spent. */
  backupCodeUsed(): void;
  /** The fraud guard refused a send: its number's type (or an invalid number), or its blocked prefix. */
  fraudRefused(reason: 'number_type' | 'prefix_blocked'): void;
  /** A webhook delivery attempt failed: retry (another attempt is scheduled), gave_up (the schedule is spent), refused (the SSRF rule). */
  webhookFailed(outcome: 'retry' | 'gave_up' | 'refused'): void;
}

