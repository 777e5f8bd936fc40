import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CHECKPOINT_BYTES, startCheckpoints } from '../../src/storage/checkpoints.js';
import { openSqlite } from '../../src/storage/sqlite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gh-checkpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const file = path.join(dir, name);
  const db = openSqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('create table t (b blob)');
  return { file, db };
}

const waitFor = async (what: () => boolean, ms: number) => {
  const until = Date.now() + ms;
  while (!what() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return what();
};

describe('WAL checkpoints in a worker thread', () => {
  it('copies a WAL past the threshold back into the database, with the writer still writing', async () => {
    const { file, db } = open('big.db');
    const insert = db.prepare('insert into t (b) values (?)');
    for (let i = 0; i < 64; i++) insert.run(Buffer.alloc(32 * 1024, i));
    assert.ok(statSync(`${file}-wal`).size >= CHECKPOINT_BYTES);
    const checkpoints = startCheckpoints(file, db);
    try {
      assert.ok(await waitFor(() => checkpoints.made > 0, 5000), 'no checkpoint within 5 s');
      insert.run(Buffer.alloc(10));
      // What is left in the WAL is the one write made after the worker's checkpoint.
      const left = db.pragma('wal_checkpoint(PASSIVE)', { simple: false }) as Array<{ log: number; checkpointed: number }>;
      assert.ok(left[0]!.log < 10, `log ${left[0]!.log}`);
      assert.equal((db.prepare('select count(*) as n from t').get() as { n: number }).n, 65);
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });

  it('keeps the WAL from growing without end under a steady write load', async () => {
    const { file, db } = open('steady.db');
    const insert = db.prepare('insert into t (b) values (?)');
    // Started over past 8 MB here (64 MB in production), to be seen within a short test.
    const checkpoints = startCheckpoints(file, db, 8 << 20);
    const chunk = Buffer.alloc(16 * 1024, 7);
    let written = 0;
    let biggest = 0;
    try {
      // 64 MB, a few rows a turn as requests write them: the writer never pauses, so a WAL that is never
      // restarted grows by all of it. About 60 MB a second on an idle machine; bounded by bytes rather
      // than by 2.5 s, as it was, because a loaded one (Node 24's line in CI runs beside other test
      // files) wrote 58.9 and 61.6 MB in that time and failed the check below, not the WAL's.
      const until = Date.now() + 15_000;
      while (written < 64 << 20 && Date.now() < until) {
        for (let i = 0; i < 4; i++) insert.run(chunk);
        written += 4 * chunk.length;
        biggest = Math.max(biggest, statSync(`${file}-wal`).size);
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.ok(checkpoints.made >= 3, `${checkpoints.made} checkpoints`);
      assert.ok(written > 60 * 1024 * 1024, `${written} bytes written`);
      assert.ok(biggest < 24 << 20, `the WAL reached ${biggest} bytes of ${written} written`);
      assert.equal((db.prepare('select count(*) as n from t').get() as { n: number }).n, written / chunk.length);
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });

  it('starts no worker while the WAL is small', async () => {
    const { file, db } = open('small.db');
    db.prepare('insert into t (b) values (?)').run(Buffer.alloc(100));
    const checkpoints = startCheckpoints(file, db);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(checkpoints.made, 0);
      const left = db.pragma('wal_checkpoint(PASSIVE)', { simple: false }) as Array<{ log: number; checkpointed: number }>;
      assert.ok(left[0]!.log > 0, 'the small WAL was left alone');
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });
});
