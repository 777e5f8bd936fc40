import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import * as OTPAuth from 'otpauth';
import { PNG } from 'pngjs';
import { createSecret, qrcodeUrl, verifyCode, verifyCodeStep } from '../../../src/index.js';
import { base32Decode } from '../../../src/core/totp/base32.js';

// jsqr is CommonJS with an ES-style default in its types: at run time the module itself is the function.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

describe('createSecret', () => {
  test('makes 20 random bytes in unpadded base32', () => {
    const a = createSecret('Comm100', 'leon@comm100.com');
    const b = createSecret('Comm100', 'leon@comm100.com');
    assert.match(a.secretKey, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(a.secretKey)?.length, 20);
    assert.notEqual(a.secretKey, b.secretKey);
  });

  test('writes the Key Uri Format with the issuer prefix and every parameter', () => {
    const { secretKey, otpauthUrl } = createSecret('Comm100', 'leon@comm100.com');
    assert.equal(otpauthUrl, `otpauth://totp/Comm100:leon%40comm100.com?secret=${secretKey}&issuer=Comm100&algorithm=SHA1&digits=6&period=30`);
  });

  test('percent-encodes names with spaces, colons, ampersands and non-ASCII letters', () => {
    const { secretKey, otpauthUrl } = createSecret('Acme & Co: Support', 'zoë+1@example.com');
    const parsed = OTPAuth.URI.parse(otpauthUrl);
    assert.ok(parsed instanceof OTPAuth.TOTP);
    assert.equal(parsed.issuer, 'Acme & Co: Support');
    assert.equal(parsed.label, 'zoë+1@example.com');
    assert.equal(parsed.secret.base32, secretKey);
  });

  test('round-trips through the independent otpauth parser, whose codes we accept', () => {
    const { secretKey, otpauthUrl } = createSecret('Comm100', 'leon@comm100.com');
    const parsed = OTPAuth.URI.parse(otpauthUrl) as OTPAuth.TOTP;
    assert.equal(parsed.issuer, 'Comm100');
    assert.equal(parsed.label, 'leon@comm100.com');
    assert.equal(parsed.algorithm, 'SHA1');
    assert.equal(parsed.digits, 6);
    assert.equal(parsed.period, 30);
    assert.equal(parsed.secret.base32, secretKey);
    assert.equal(verifyCode(secretKey, parsed.generate()), true);
    const t = Date.now();
    for (const delta of [-30_000, 30_000]) {
      assert.notEqual(verifyCodeStep(secretKey, parsed.generate({ timestamp: t + delta }), t), null);
    }
    assert.equal(verifyCodeStep(secretKey, parsed.generate({ timestamp: t + 90_000 }), t), null);
  });
});

describe('verifyCode', () => {
  test('answers false, never throws, for malformed secrets and codes', () => {
    const { secretKey } = createSecret('Comm100', 'a@b.c');
    for (const [secret, code] of [['not base32!', '123456'], ['', '123456'], [secretKey, ''], [secretKey, 'abcdef'], ['A'.repeat(500), '123456']]) {
      assert.equal(verifyCode(secret!, code!), false);
    }
    assert.equal(verifyCode(null as unknown as string, undefined as unknown as string), false);
  });
});

describe('qrcodeUrl', () => {
  test('is a PNG data URL whose QR code decodes back to the otpauth URL', async () => {
    const { otpauthUrl } = createSecret('Acme & Co', 'zoë@example.com');
    const url = await qrcodeUrl(otpauthUrl);
    assert.match(url, /^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.equal(decoded?.data, otpauthUrl);
  });
});
