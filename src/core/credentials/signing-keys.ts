/**
 * Gatehouse's own JWT signing keys (Ed25519), created at first start and kept in signing_keys with
 * the private half sealed. Every node signs with the oldest key, so nodes that start together and
 * each create one still agree; every stored key verifies.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Db } from '../../storage/database.js';
import { now } from '../crypto.js';
import type { Sealer } from '../secrets/envelope.js';

export interface SigningKeys {
  current(): { kid: string; key: KeyObject };
  /** The public key for a kid; reads storage once for a kid another node created. */
  publicKey(kid: string): Promise<KeyObject | undefined>;
  jwks(): Promise<{ keys: object[] }>;
}

const context = (kid: string) => `signing_key:${kid}`;

export async function loadSigningKeys(db: Db, sealer: Sealer): Promise<SigningKeys> {
  let rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
  if (rows.length === 0) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = randomBytes(8).toString('hex');
    await db
      .insertInto('signing_keys')
      .values({
        kid,
        alg: 'EdDSA',
        public_jwk: JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' }),
        private_key: sealer.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), context(kid)),
        created_at: now(),
      })
      .execute();
    rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
  }
  const first = rows[0]!;
  const signing = { kid: first.kid, key: createPrivateKey(sealer.open(first.private_key, context(first.kid))) };
  const publics = new Map<string, KeyObject>(rows.map((r) => [r.kid, createPublicKey({ key: JSON.parse(r.public_jwk), format: 'jwk' })]));

  return {
    current: () => signing,
    async publicKey(kid) {
      if (!publics.has(kid) && /^[0-9a-f]{16}$/.test(kid)) {
        const row = await db.selectFrom('signing_keys').select('public_jwk').where('kid', '=', kid).executeTakeFirst();
        if (row) publics.set(kid, createPublicKey({ key: JSON.parse(row.public_jwk), format: 'jwk' }));
      }
      return publics.get(kid);
    },
    async jwks() {
      const all = await db.selectFrom('signing_keys').select('public_jwk').orderBy('created_at').execute();
      return { keys: all.map((r) => JSON.parse(r.public_jwk)) };
    },
  };
}
