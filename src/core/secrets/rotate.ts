import type { Db } from '../../storage/database.js';
import type { Sealer } from './envelope.js';
import { SEALED_COLUMNS } from './sealed-columns.js';

/** Re-seals every envelope not under the current key. Answers how many were re-sealed. */
export async function resealAll(db: Db, sealer: Sealer): Promise<number> {
  const current = sealer.currentKid();
  let count = 0;
  for (const col of SEALED_COLUMNS) {
    // Dynamic table names: the list above is code, never input.
    const rows = (await (db as any).selectFrom(col.table).select([col.key, col.column]).execute()) as Array<Record<string, any>>;
    for (const row of rows) {
      const envelope = row[col.column] as string | null;
      if (!envelope || sealer.kidOf(envelope) === current) continue;
      const ctx = col.context(row[col.key]);
      const resealed = sealer.seal(sealer.open(envelope, ctx), ctx);
      await (db as any)
        .updateTable(col.table)
        .set({ [col.column]: resealed })
        .where(col.key, '=', row[col.key])
        .where(col.column, '=', envelope)
        .execute();
      count++;
    }
  }
  return count;
}
