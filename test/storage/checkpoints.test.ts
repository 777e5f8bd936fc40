import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CHECKPOINT_BYTES, startCheckpoints } from '../../src/storage/checkpoints.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gh-checkpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const file = path.join(dir, name);
  const db = new Database(file);
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
    const checkpoints = startCheckpoints(file);
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

  it('starts no worker while the WAL is small', async () => {
    const { file, db } = open('small.db');
    db.prepare('insert into t (b) values (?)').run(Buffer.alloc(100));
    const checkpoints = startCheckpoints(file);
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
