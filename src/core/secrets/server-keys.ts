/**
 * A 32-byte key every node shares, sealed at rest: created by whichever node needs it first (a
 * conflicting insert loses quietly), then read back, so all nodes hold the same one. The Digest
 * nonce key keeps its own table (sip_secrets, older than this); the rest live in server_secrets.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../storage/database.js';
import type { Sealer } from './envelope.js';

export type ServerKeyTable = 'sip_secrets' | 'server_secrets';

/** The sealing context of a key: what sealed-columns.ts re-seals it with. */
export const serverKeyContext = (table: ServerKeyTable, name: string) => `${table.slice(0, -1)}:${name}`;

export async function loadServerKey(db: Db, sealer: Sealer, table: ServerKeyTable, name: string): Promise<Buffer> {
  const context = serverKeyContext(table, name);
  await db
    .insertInto(table)
    .values({ name, sealed: sealer.seal(randomBytes(32).toString('base64'), context) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom(table).select('sealed').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(sealer.open(row.sealed, context), 'base64');
}
