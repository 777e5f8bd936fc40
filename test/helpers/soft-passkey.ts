/**
 * A passkey made in software: the attestation ("none") an authenticator answers to registration
 * options, for tests that must register a passkey over HTTP without a browser. It carries a real P-256
 * key, user presence and verification, so the server's full verification (@simplewebauthn/server:
 * origin, RP ID hash, flags, attested key) runs on it; only the attestation statement is absent, as
 * with every passkey the server accepts (attestation "none").
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

type Cbor = number | string | Buffer | CborMap | { [key: string]: Cbor };
interface CborMap extends Map<number | string, Cbor> {}

/** The CBOR (RFC 8949) of the few types an attestation object holds. */
function cbor(v: Cbor): Buffer {
  const head = (major: number, n: number) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, inner]) => [cbor(k), cbor(inner)])]);
}

/** The RegistrationResponseJSON to these options (their challenge), from this origin. */
export function softAttestation(options: { challenge: string; rp: { id?: string } }, origin: string): Record<string, unknown> {
  const rpId = options.rp.id ?? new URL(origin).hostname;
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = new Map<number, Cbor>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, Buffer.from(jwk.x!, 'base64url')],
    [-3, Buffer.from(jwk.y!, 'base64url')],
  ]);
  const credentialId = randomBytes(32);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    createHash('sha256').update(rpId).digest(),
    Buffer.from([0x45]), // user present, user verified, attested credential data
    Buffer.alloc(4), // sign count 0
    Buffer.alloc(16), // AAGUID: none
    idLength,
    credentialId,
    cbor(cose),
  ]);
  const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
  const id = credentialId.toString('base64url');
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: { clientDataJSON: clientDataJSON.toString('base64url'), attestationObject: cbor({ fmt: 'none', attStmt: {}, authData }).toString('base64url'), transports: ['internal'] },
    clientExtensionResults: {},
  };
}
