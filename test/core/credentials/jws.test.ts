/** Gatehouse's JWT signature: a compact JWS any EdDSA verifier (here jose) accepts, and only unaltered. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { signEdDsaJwt } from '../../../src/core/credentials/jws.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519').publicKey;
const payload = { iss: 'gatehouse', sub: '42', iat: 1764561600.123, exp: 4102444800, jti: 'j1', name: 'Zoë ☎' };

test('jose verifies it with the public key and reads back every claim and the header', async () => {
  const token = signEdDsaJwt(payload, 'k1', privateKey);
  const { payload: read, protectedHeader } = await jwtVerify(token, publicKey, { issuer: 'gatehouse', algorithms: ['EdDSA'] });
  assert.deepEqual(read, payload);
  assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: 'k1', typ: 'JWT' });
  assert.deepEqual(decodeProtectedHeader(token), protectedHeader);
});

test('another key, an altered payload or an altered signature is refused', async () => {
  const token = signEdDsaJwt(payload, 'k1', privateKey);
  await assert.rejects(jwtVerify(token, other));
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: '1' })).toString('base64url');
  await assert.rejects(jwtVerify(`${h}.${forged}.${s}`, publicKey));
  const flipped = Buffer.from(s!, 'base64url');
  flipped[0]! ^= 1;
  await assert.rejects(jwtVerify(`${h}.${p}.${flipped.toString('base64url')}`, publicKey));
});
