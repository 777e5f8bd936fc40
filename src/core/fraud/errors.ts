/** The codes the fraud guard refuses a send with; each face maps them (Smart 2FA: 455 and 456). */
export const FraudErrors = {
  /** The number is invalid, or of a type the channel never sends to (premium rate, shared cost, fixed line for sms…). */
  numberRefused: 'otp_number_refused',
  /** Too few of the codes sent to this destination prefix were verified: a likely SMS-pumping target. */
  prefixBlocked: 'otp_prefix_blocked',
} as const;
