/**
 * The business counts core makes (core/metrics.ts), kept as plain counters and rendered in Prometheus'
 * text format on /metrics beside the HTTP series. Names follow the Prometheus conventions peers use
 * (Keycloak's and Twilio's event counts): a gatehouse_ prefix, _total for counters, labels for the
 * few values a count splits by. A labelled series appears once it counts something; the two counters
 * without labels show 0 from the start, so a rate over them works before the first lock.
 */
import type { BusinessMetrics, SignInFactor, SignInOutcome } from '../core/metrics.js';

export interface BusinessCounters extends BusinessMetrics {
  /** The counters' lines in Prometheus' text format. */
  render(): string;
}

const FAMILIES = [
  ['gatehouse_signins_total', 'Sign-in steps by outcome (success, failure, locked, rate_limited) and factor (password, trusted_device, totp, backup_code)'],
  ['gatehouse_codes_sent_total', 'One-time codes made and handed to a channel, by channel and destination calling code (none for email)'],
  ['gatehouse_delivery_attempts_total', 'Tries to deliver a code, by channel, provider and outcome (accepted: the provider answered 2xx; retry: a 5xx, 429, timeout or connection error, tried again; failed: refused for good or the last retry)'],
  ['gatehouse_codes_verified_total', 'One-time codes verified, by channel'],
  ['gatehouse_login_locks_total', 'Accounts locked by a run of second-factor failures'],
  ['gatehouse_totp_used_total', 'TOTP codes accepted'],
  ['gatehouse_backup_codes_used_total', 'Backup codes spent'],
  ['gatehouse_fraud_refusals_total', 'Sends the fraud guard refused, by reason (number_type: invalid, premium, shared-cost… ; prefix_blocked: low conversion)'],
  ['gatehouse_webhook_failures_total', 'Failed tenant webhook delivery attempts, by outcome: retry (another attempt is scheduled), gave_up (the retry schedule is spent: the delivery failed), refused (the address is not allowed)'],
] as const;
type Family = (typeof FAMILIES)[number][0];

export function createBusinessCounters(): BusinessCounters {
  const counts = new Map<Family, Map<string, number>>(FAMILIES.map(([name]) => [name, new Map()]));
  counts.get('gatehouse_login_locks_total')!.set('', 0);
  counts.get('gatehouse_totp_used_total')!.set('', 0);
  // Shown from the start so an alert on a rate of failures works before the first one.
  for (const outcome of ['retry', 'gave_up', 'refused']) counts.get('gatehouse_webhook_failures_total')!.set(`outcome="${outcome}"`, 0);
  // Label values come from core's own small sets (channels, outcomes, calling codes): no escaping needed.
  const add = (family: Family, labels: string) => {
    const series = counts.get(family)!;
    series.set(labels, (series.get(labels) ?? 0) + 1);
  };
  return {
    signIn: (outcome: SignInOutcome, factor: SignInFactor) => add('gatehouse_signins_total', `outcome="${outcome}",factor="${factor}"`),
    codeSent: (channel, country) => add('gatehouse_codes_sent_total', `channel="${channel}",country="${country}"`),
    deliveryAttempt: (channel, provider, outcome) => add('gatehouse_delivery_attempts_total', `channel="${channel}",provider="${provider}",outcome="${outcome}"`),
    codeVerified: (channel) => add('gatehouse_codes_verified_total', `channel="${channel}"`),
    loginLocked: () => add('gatehouse_login_locks_total', ''),
    totpUsed: () => add('gatehouse_totp_used_total', ''),
    backupCodeUsed: () => add('gatehouse_backup_codes_used_total', ''),
    fraudRefused: (reason) => add('gatehouse_fraud_refusals_total', `reason="${reason}"`),
    webhookFailed: (outcome) => add('gatehouse_webhook_failures_total', `outcome="${outcome}"`),
    render() {
      const out: string[] = [];
      for (const [name, help] of FAMILIES) {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
        for (const [labels, n] of counts.get(name)!) out.push(labels ? `${name}{${labels}} ${n}` : `${name} ${n}`);
      }
      return `${out.join('\n')}\n`;
    },
  };
}
