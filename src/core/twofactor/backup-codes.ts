/**
 * Backup codes: one per account at a time, shown once, stored as a hash, spent atomically (a
 * DELETE that names the hash: of two concurrent uses exactly one deletes the row).
 */
import type { Db } from '../../storage/database.js';
import { now, randomString, sha256Hex } from '../crypto.js';

/** No 0/O, 1/I/L: nothing a person can misread when copying it from paper. */
export const BACKUP_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** 12 characters of 31: about 59 bits, hashed with the account id so no table serves two accounts. */
export const BACKUP_CODE_LENGTH = 12;

const normalise = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();
const hashOf = (accountId: number, code: string) => sha256Hex(`backup:${accountId}:${normalise(code)}`);

export function createBackupCodes(db: Db) {
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
      .where('code_hash', '=', hashOf(accountId, clean))
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

  return { generate, use, status, revoke };
}
