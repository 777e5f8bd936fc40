/**
 * Backup codes: one per account at a time, shown once, stored as a hash, spent atomically (a
 * DELETE that names the hash: of two concurrent uses exactly one deletes the row).
 *
 * The hash is keyed: HMAC-SHA256 under the sealed pepper one-time codes use (verifications/codes.ts),
 * so a database dump alone cannot brute-force a code. It is taken over the unkeyed SHA-256 that
 * earlier versions stored (64 hex digits), written as base64url (43 characters): a row in the old
 * form is upgraded in place at start (upgradeLegacy) without knowing its code, and until then is
 * still accepted, so no code already handed out stops working.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { now, randomString, sha256Hex } from '../crypto.js';

/** No 0/O, 1/I/L: nothing a person can misread when copying it from paper. */
export const BACKUP_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** 12 characters of 31: about 59 bits, hashed with the account id so no table serves two accounts. */
export const BACKUP_CODE_LENGTH = 12;

const normalise = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();
/** The unkeyed form earlier versions stored. */
const legacyHashOf = (accountId: number, code: string) => sha256Hex(`backup:${accountId}:${normalise(code)}`);
const LEGACY_LENGTH = 64;

export function createBackupCodes(db: Db, pepper: Buffer) {
  const keyed = (legacyHash: string) => createHmac('sha256', pepper).update(`backup:${legacyHash}`).digest('base64url');
  const hashOf = (accountId: number, code: string) => keyed(legacyHashOf(accountId, code));

  /** Re-hashes every row still in the unkeyed form; safe to run on several nodes at once. Answers how many it changed. */
  async function upgradeLegacy(): Promise<number> {
    const rows = await db
      .selectFrom('twofactor_backup_codes')
      .select(['account_id', 'code_hash'])
      .where(sql<number>`length(code_hash)`, '=', LEGACY_LENGTH)
      .execute();
    let changed = 0;
    for (const row of rows) {
      const result = await db
        .updateTable('twofactor_backup_codes')
        .set({ code_hash: keyed(row.code_hash) })
        .where('account_id', '=', row.account_id)
        .where('code_hash', '=', row.code_hash)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }

  /** A new code for the account, replacing any earlier one. The only time the code is seen. */
  async function generate(accountId: number): Promise<string> {
    const code = randomString(BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH);
    const values = { account_id: accountId, code_hash: hashOf(accountId, code), created_at: now() };
    await db
      .insertInto('twofactor_backup_codes')
      .values(values)
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ code_hash: values.code_hash, created_at: values.created_at }))
      .execute();
    return code;
  }

  /** True once for the right code, then never again. */
  async function use(accountId: number, code: string): Promise<boolean> {
    if (typeof code !== 'string' || code.length > 64) return false;
    const clean = normalise(code);
    if (clean.length !== BACKUP_CODE_LENGTH || [...clean].some((c) => !BACKUP_CODE_ALPHABET.includes(c))) return false;
    const result = await db
      .deleteFrom('twofactor_backup_codes')
      .where('account_id', '=', accountId)
      .where('code_hash', 'in', [hashOf(accountId, clean), legacyHashOf(accountId, clean)])
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async function status(accountId: number): Promise<{ exists: boolean; createdAt: number | null }> {
    const row = await db.selectFrom('twofactor_backup_codes').select('created_at').where('account_id', '=', accountId).executeTakeFirst();
    return { exists: row !== undefined, createdAt: row ? Number(row.created_at) : null };
  }

  async function revoke(accountId: number): Promise<boolean> {
    const result = await db.deleteFrom('twofactor_backup_codes').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  return { generate, use, status, revoke, upgradeLegacy };
}
