/**
 * Conversion counts per tenant and destination prefix, shared by every node: sends and verifications
 * over a sliding window made of two halves (the current half-window and the one before), and the
 * block. A send is judged and counted in one atomic step (one Redis script, or one SQL upsert under
 * the row's lock), so several nodes never let more than `minSends` unconverted sends through.
 */
export interface ConversionRule {
  minSends: number;
  minConversionPercent: number;
  windowMs: number;
  blockMs: number;
}

/** counted: the send may go; tripped: this send found the prefix failing and blocked it; blocked: it already was. */
export type Outcome = 'counted' | 'tripped' | 'blocked';

export interface Admission {
  outcome: Outcome;
  /** The window's sends and verifications as judged (before this send). */
  sent: number;
  verified: number;
  blockedUntil: number;
}

export interface ConversionStore {
  /** Judges a send to the prefix and counts it when it may go. */
  admit(tenantId: number, prefix: string, now: number): Promise<Admission>;
  /** Counts a verified code. */
  converted(tenantId: number, prefix: string, now: number): Promise<void>;
  /** Lifts a block and forgets the window's counts (else the next send would block it again). */
  lift(tenantId: number, prefix: string): Promise<void>;
}

/** The half-window a moment falls in. */
export const slotOf = (now: number, rule: Pick<ConversionRule, 'windowMs'>) => Math.floor(now / Math.max(1, Math.floor(rule.windowMs / 2)));

/** Whether counts this low block a prefix: enough sends, and too few of them verified. */
export function failing(sent: number, verified: number, rule: Pick<ConversionRule, 'minSends' | 'minConversionPercent'>): boolean {
  return sent >= rule.minSends && verified * 100 < rule.minConversionPercent * sent;
}
