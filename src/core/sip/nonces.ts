/**
 * Digest nonces every node honours: a nonce carries its issue time and an HMAC under a secret that
 * all nodes share (sealed in sip_secrets), so any node checks it without a lookup; each nonce count
 * is claimed once in the shared state (Redis or SQL), so a replayed nc is refused by every node.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SharedState } from '../../state/shared-state.js';
import type { Db } from '../../storage/database.js';
import { constantTimeEqual } from '../crypto.js';
import type { Sealer } from '../secrets/envelope.js';
import { loadServerKey } from '../secrets/server-keys.js';

export const NONCE_TTL_MS = 5 * 60_000;
const SECRET = 'digest_nonce_key';

export type NonceCheck = 'ok' | 'invalid' | 'stale' | 'replayed';

export interface Nonces {
  issue(realm: string): { nonce: string; opaque: string };
  /** Checks the nonce and opaque, then claims the nonce count: 'replayed' when it was used before. */
  check(realm: string, nonce: string, nc: string, opaque: string | undefined): Promise<NonceCheck>;
}

/** The shared key (server-keys.ts). */
export const loadNonceKey = (db: Db, sealer: Sealer): Promise<Buffer> => loadServerKey(db, sealer, 'sip_secrets', SECRET);

export function createNonces(key: Buffer, state: SharedState, clock: () => number = Date.now): Nonces {
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url').slice(0, 32);
  const opaqueOf = (realm: string) => mac(`opaque:${realm}`);

  return {
    issue(realm) {
      const body = `${clock().toString(36)}.${randomBytes(12).toString('base64url')}`;
      return { nonce: `${body}.${mac(`nonce:${realm}:${body}`)}`, opaque: opaqueOf(realm) };
    },
    async check(realm, nonce, nc, opaque) {
      const last = nonce.lastIndexOf('.');
      if (last < 0) return 'invalid';
      const body = nonce.slice(0, last);
      if (!constantTimeEqual(nonce.slice(last + 1), mac(`nonce:${realm}:${body}`))) return 'invalid';
      if (opaque !== undefined && !constantTimeEqual(opaque, opaqueOf(realm))) return 'invalid';
      const issuedAt = parseInt(body.slice(0, body.indexOf('.')), 36);
      if (!(clock() - issuedAt < NONCE_TTL_MS)) return 'stale';
      if (!/^[0-9a-fA-F]{8}$/.test(nc)) return 'invalid';
      const fresh = await state.claim(`sip:nc:${nonce}:${nc.toLowerCase()}`, NONCE_TTL_MS);
      return fresh ? 'ok' : 'replayed';
    },
  };
}
