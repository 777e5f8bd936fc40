/** The passkeys' own failures (docs/passkeys.md lists them with the answer each face gives). */
import { GatehouseError } from '../errors.js';

export const PasskeyErrors = {
  /** The site allows only phishing-resistant sign-in and the client presented no passkey assertion. */
  phishingResistantRequired: 'phishing_resistant_required',
  /** Removing this passkey would leave an account of a phishing-resistant site without one. */
  lastPasskey: 'last_passkey',
  /** A passkey ceremony failed (bad signature, wrong origin, spent or foreign challenge, unknown or removed passkey). */
  failed: 'passkey_failed',
  /** Passkeys need GATEHOUSE_PUBLIC_URL (the relying party). */
  unavailable: 'passkeys_unavailable',
} as const;

export const phishingResistantRequired = () =>
  new GatehouseError(PasskeyErrors.phishingResistantRequired, 'this site requires a passkey (phishing-resistant sign-in): present an assertion, or a backup code to recover', { field: 'assertion' });
export const lastPasskey = () =>
  new GatehouseError(PasskeyErrors.lastPasskey, 'your site requires signing in with a passkey: add another passkey before removing this one');
export const passkeyFailed = (why: string) => new GatehouseError(PasskeyErrors.failed, `the passkey was not accepted: ${why}`, { field: 'assertion' });
export const passkeysUnavailable = () => new GatehouseError(PasskeyErrors.unavailable, 'passkeys need GATEHOUSE_PUBLIC_URL (the relying party) to be set');
