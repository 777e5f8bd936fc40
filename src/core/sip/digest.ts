/**
 * HTTP Digest, RFC 7616, with qop=auth and the two algorithms Flexisip supports (MD5, SHA-256).
 * Pure functions: HA1, the expected response, parsing an Authorization header, writing a challenge.
 */
import { hash as oneShot } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256';
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

const hash = (algorithm: DigestAlgorithm, value: string) => oneShot(algorithm === 'MD5' ? 'md5' : 'sha256', value, 'hex');

/** HA1 = H(username ":" realm ":" password): what is kept in place of a password. */
export const ha1 = (algorithm: DigestAlgorithm, username: string, realm: string, password: string) =>
  hash(algorithm, `${username}:${realm}:${password}`);

export interface DigestAnswer {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  qop: string;
  nc: string;
  cnonce: string;
  opaque?: string;
}

/** response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri)) for qop=auth. */
export function expectedResponse(algorithm: DigestAlgorithm, ha1Hex: string, method: string, answer: Pick<DigestAnswer, 'nonce' | 'nc' | 'cnonce' | 'qop' | 'uri'>): string {
  const ha2 = hash(algorithm, `${method}:${answer.uri}`);
  return hash(algorithm, `${ha1Hex}:${answer.nonce}:${answer.nc}:${answer.cnonce}:${answer.qop}:${ha2}`);
}

/** The parameters of a Digest credential (the part after "Digest "); null when malformed. */
export function parseDigest(value: string): Record<string, string> | null {
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;
  let at = 0;
  while (at < value.length) {
    re.lastIndex = at;
    const m = re.exec(value);
    if (!m || m[0].length === 0) return null;
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    at = re.lastIndex;
  }
  return params;
}

/** The answer's required fields, or the name of the first one missing. */
export function readAnswer(params: Record<string, string>): DigestAnswer | string {
  for (const field of ['username', 'realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce']) {
    if (!params[field]) return field;
  }
  return {
    username: params.username!,
    realm: params.realm!,
    nonce: params.nonce!,
    uri: params.uri!,
    response: params.response!.toLowerCase(),
    algorithm: params.algorithm ?? 'MD5',
    qop: params.qop!,
    nc: params.nc!,
    cnonce: params.cnonce!,
    opaque: params.opaque,
  };
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

export function challengeHeader(input: { realm: string; algorithm: DigestAlgorithm; nonce: string; opaque: string; stale?: boolean }): string {
  return `Digest realm=${quote(input.realm)},qop="auth",algorithm=${input.algorithm},nonce=${quote(input.nonce)},opaque=${quote(input.opaque)}${input.stale ? ',stale=true' : ''}`;
}
