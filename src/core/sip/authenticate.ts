/**
 * Digest authentication of SIP accounts over HTTP (the Flexisip "Using DIGEST" flow): a request with
 * `From: sip:user@domain` and no credentials is challenged once per algorithm the account holds a
 * password for; the answer is checked for realm, uri, algorithm, qop, nonce, nc, cnonce and response.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { constantTimeEqual } from '../crypto.js';
import { CommonErrors, GatehouseError, forbidden, notFound } from '../errors.js';
import { ha1Context } from '../flexisip/accounts.js';
import { parseSipAddress, refuse } from '../flexisip/validation.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm, challengeHeader, expectedResponse, parseDigest, readAnswer } from './digest.js';
import type { Nonces } from './nonces.js';

export interface DigestRequest {
  /** The value after "Digest ", or null when the request carries no credentials. */
  credentials: string | null;
  method: string;
  /** The request target as sent (path and query). */
  uri: string;
  from: string | undefined;
}

/** A 401 whose answer carries one WWW-Authenticate header per challenge. */
export const challengeError = (message: string, challenges: string[]) =>
  new GatehouseError(CommonErrors.unauthenticated, message, { details: { challenges } });

export type DigestAuth = ReturnType<typeof createDigestAuth>;

export function createDigestAuth({ statements, sealer, config }: CoreDeps, nonces: Nonces) {
  const realmOf = (domain: string) => config.flexisip.realm ?? domain;

  interface Row {
    id: number;
    tenant_id: number;
    role: string;
    blocked: number;
    ha1_md5: string | null;
    ha1_sha256: string | null;
    sid: string;
    path: string;
  }
  // Both steps of every Digest exchange look the account up: prepared once.
  const byAddress = statements.prepare<Row>(
    'select accounts.id, accounts.tenant_id, accounts.role, accounts.blocked, sip_accounts.ha1_md5, sip_accounts.ha1_sha256, tenants.sid, tenants.path from accounts inner join sip_accounts on sip_accounts.account_id = accounts.id inner join tenants on tenants.id = accounts.tenant_id where accounts.domain = ? and accounts.username = ?',
  );
  const lookup = (username: string, domain: string) => byAddress.get(domain, username);

  const algorithmsOf = (row: Row): DigestAlgorithm[] => DIGEST_ALGORITHMS.filter((a) => (a === 'MD5' ? row.ha1_md5 : row.ha1_sha256));

  function challenges(row: Row, realm: string, stale = false): string[] {
    const { nonce, opaque } = nonces.issue(realm);
    return algorithmsOf(row).map((algorithm) => challengeHeader({ realm, algorithm, nonce, opaque, stale }));
  }

  function fromAddress(from: string | undefined): { username: string; domain: string } {
    if (from === undefined || from.trim() === '') refuse('from', 'The from field is required.');
    const inner = /<([^>]*)>/.exec(from)?.[1] ?? from;
    const address = inner.trim().startsWith('sip:') || inner.trim().startsWith('sips:') ? parseSipAddress(inner.split(';')[0]!) : null;
    if (!address) refuse('from', 'The from field must be a SIP address such as sip:user@sip.example.org.');
    return address;
  }

  async function account(username: string, domain: string): Promise<Row> {
    const row = await lookup(username, domain);
    if (!row) throw notFound('account');
    if (row.blocked) throw forbidden('this account is blocked');
    return row;
  }

  /** No credentials: the challenge (always a thrown 401), or 422 / 404 when From says nothing usable. */
  async function challenge(from: string | undefined): Promise<never> {
    const address = fromAddress(from);
    const row = await account(address.username, address.domain);
    const list = challenges(row, realmOf(address.domain));
    if (list.length === 0) throw forbidden('this account has no password');
    throw challengeError('Unauthenticated', list);
  }

  async function authenticate(request: DigestRequest): Promise<Caller> {
    if (request.credentials === null) return challenge(request.from);
    const params = parseDigest(request.credentials);
    if (!params) throw new GatehouseError(CommonErrors.unauthenticated, 'malformed Digest credentials');
    const answer = readAnswer(params);
    if (typeof answer === 'string') throw new GatehouseError(CommonErrors.unauthenticated, `Digest credentials lack ${answer}`);
    const domain = request.from !== undefined ? fromAddress(request.from).domain : config.flexisip.realm === null ? answer.realm.toLowerCase() : fromAddress(undefined).domain;
    const row = await account(answer.username, domain);
    const realm = realmOf(domain);
    const again = (message: string, stale = false) => challengeError(message, challenges(row, realm, stale));

    const algorithm = answer.algorithm.toUpperCase() as DigestAlgorithm;
    const sealed = algorithm === 'MD5' ? row.ha1_md5 : algorithm === 'SHA-256' ? row.ha1_sha256 : null;
    if (!sealed) throw again(`no password for algorithm ${answer.algorithm}`);
    if (answer.realm !== realm) throw again('wrong realm');
    if (answer.qop !== 'auth') throw again('qop must be auth');
    if (answer.uri !== request.uri) throw again('the Digest uri is not the request uri');

    const ha1 = sealer.open(sealed, ha1Context(algorithm, Number(row.id)));
    const expected = expectedResponse(algorithm, ha1, request.method, answer);
    if (!constantTimeEqual(answer.response, expected)) throw again('wrong credentials');

    const check = await nonces.check(realm, answer.nonce, answer.nc, answer.opaque);
    if (check === 'stale') throw again('Nonce expired', true);
    if (check === 'invalid') throw again('Nonce invalid'); // upstream's text, as 'Nonce replayed'
    if (check === 'replayed') throw again('Nonce replayed');
    return {
      tenantId: Number(row.tenant_id),
      tenantSid: row.sid,
      tenantPath: row.path,
      accountId: Number(row.id),
      role: row.role === 'sipadmin' ? 'sipadmin' : 'sip',
      domain,
      via: 'digest',
      expiresAt: null,
    };
  }

  /** The registrar's question: the HA1 of an account that may register, or null. */
  async function registrarHa1(username: string, domain: string, algorithm: DigestAlgorithm): Promise<string | null> {
    const row = await lookup(username, domain.toLowerCase());
    if (!row || row.blocked) return null;
    const sealed = algorithm === 'MD5' ? row.ha1_md5 : row.ha1_sha256;
    return sealed ? sealer.open(sealed, ha1Context(algorithm, Number(row.id))) : null;
  }

  return { authenticate, challenge, registrarHa1 };
}
