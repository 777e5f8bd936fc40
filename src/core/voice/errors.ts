/** The voice capability's own error codes; the voice face spells each in the Comm100 envelope. */
export const VoiceErrors = {
  /** Neither the deployment nor the tenant has the Twilio settings this call needs. */
  notConfigured: 'voice_not_configured',
  /** Twilio's REST API failed or did not answer. */
  twilioUnavailable: 'twilio_unavailable',
  /** A webhook without a valid X-Twilio-Signature. */
  badSignature: 'bad_signature',
} as const;
