/**
 * CSRF tokens bound to a session. A form's token is an HMAC, under a key every node shares (sealed in
 * server_secrets), of the session the page was rendered for: the credential cookies it authenticates by.
 * A token therefore proves that whoever rendered the form held that session; a cookie planted in the
 * browser (a sibling subdomain can set one) cannot make a token of its own match, because nobody
 * outside the server can compute the HMAC of a session they do not hold.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../storage/database.js';
import { constantTimeEqual } from '../crypto.js';
import type { Sealer } from '../secrets/envelope.js';
import { loadServerKey } from '../secrets/server-keys.js';

const SECRET = 'csrf_key';

/** The shared key (server-keys.ts). */
export const loadCsrfKey = (db: Db, sealer: Sealer): Promise<Buffer> => loadServerKey(db, sealer, 'server_secrets', SECRET);

export interface Csrf {
  /** The token of forms rendered for this session (any string naming it: the face decides). */
  token(session: string): string;
  /** Whether a submitted token is the session's. */
  check(session: string, given: unknown): boolean;
}

export function createCsrf(key: Buffer): Csrf {
  const token = (session: string) => createHmac('sha256', key).update(`gatehouse csrf\0${session}`).digest('base64url');
  return {
    token,
    check: (session, given) => typeof given === 'string' && given.length > 0 && constantTimeEqual(given, token(session)),
  };
}
