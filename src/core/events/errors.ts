/** The refusals of tenant webhooks, each a stable code the faces map (core/errors.ts has the common ones). */
export const WebhookErrors = {
  /** The URL's host is, or resolves to, a loopback, private, link-local or metadata address. */
  unsafeAddress: 'webhook_unsafe_address',
  /** The tenant already has MAX_WEBHOOKS endpoints. */
  tooMany: 'webhook_limit',
  /** A resend of a delivery a worker is posting right now. */
  inFlight: 'webhook_delivery_in_flight',
} as const;
