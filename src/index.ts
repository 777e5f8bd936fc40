/** Gatehouse as a library: the TOTP functions of the Comm100 2FA specification. */
export { createSecret, verifyCode, verifyCodeStep, qrcodeUrl, otpauthUrl, type Secret } from './core/totp/secrets.js';
export { hotp, totp, matchingStep, timeStep, TOTP_DEFAULTS, type OtpAlgorithm, type TotpOptions } from './core/totp/otp.js';
export { base32Encode, base32Decode } from './core/totp/base32.js';
