/**
 * The code itself: drawn from a CSPRNG, kept only as an HMAC under a server pepper. The pepper lives
 * sealed in the database, so a dump of the database alone cannot brute-force a 6-digit code.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { newTimeOrderedSid, randomString } from '../crypto.js';
import type { Sealer } from '../secrets/envelope.js';
import type { Db } from '../../storage/database.js';

export const newCode = (length: number): string => randomString('0123456789', length);

/** Not a secret (verify needs the tenant's credentials and the code), and time-ordered for the indexes. */
export const newRequestId = (): string => newTimeOrderedSid('OTP');

export interface CodeHasher {
  /** Compared with the stored hash by the database itself (queries.ts says why that is safe). */
  hash(requestId: string, code: string): string;
}

export function codeHasher(pepper: Buffer): CodeHasher {
  return { hash: (requestId, code) => createHmac('sha256', pepper).update(`${requestId}:${code}`).digest('hex') };
}

const PEPPER = 'code_pepper';

/** The pepper, created on first use by whichever node gets there first. */
export async function loadPepper(db: Db, sealer: Sealer): Promise<Buffer> {
  const context = `smart2fa_secret:${PEPPER}`;
  await db
    .insertInto('smart2fa_secrets')
    .values({ name: PEPPER, sealed: sealer.seal(randomBytes(32).toString('base64'), context) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('smart2fa_secrets').select('sealed').where('name', '=', PEPPER).executeTakeFirstOrThrow();
  return Buffer.from(sealer.open(row.sealed, context), 'base64');
}
