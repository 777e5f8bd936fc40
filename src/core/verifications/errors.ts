/** The codes one-time codes can fail with; the Smart 2FA face maps each to its numeric code. */
export const VerificationErrors = {
  rateLimited: 'otp_rate_limited',
  countryNotAllowed: 'otp_country_not_allowed',
  unknownRequest: 'otp_unknown_request',
  alreadyVerified: 'otp_already_verified',
  expired: 'otp_expired',
  canceled: 'otp_canceled',
  wrongCode: 'otp_wrong_code',
  tooManyAttempts: 'otp_too_many_attempts',
  cancelUnknown: 'otp_cancel_unknown_request',
} as const;

export const LimitErrors = {
  nameTaken: 'limit_name_taken',
  unknownLimit: 'limit_unknown',
  unknownLimitName: 'limit_unknown_name',
} as const;
