/**
 * The voice face answers in the Comm100 envelope ({"error", "message"}), with the voice capability's
 * own errors spelled beside the Comm100 ones. A site without Twilio settings is a 400 like the
 * documents' own errors (the request cannot succeed until someone configures it), not a 5xx; only
 * Twilio itself failing is a 502.
 */
import type { GatehouseError } from '../../core/errors.js';
import { VoiceErrors } from '../../core/voice/errors.js';
import type { Envelope } from '../http/errors.js';
import { comm100Envelope } from '../comm100/envelope.js';

/** core code → [error string, HTTP status] */
export const VOICE_ERRORS: Record<string, [string, number]> = {
  [VoiceErrors.notConfigured]: ['voice not configured', 400],
  [VoiceErrors.twilioUnavailable]: ['twilio unavailable', 502],
  [VoiceErrors.badSignature]: ['forbidden', 403],
};

export function voiceEnvelope(error: GatehouseError): Envelope {
  const mapped = VOICE_ERRORS[error.code];
  if (mapped) return { status: mapped[1], body: { error: mapped[0], message: error.message } };
  return comm100Envelope(error);
}
