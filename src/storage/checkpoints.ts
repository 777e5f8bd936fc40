/**
 * WAL checkpoints for the SQLite file, mostly off the thread that answers requests.
 *
 * SQLite runs a checkpoint inside whichever commit crosses its threshold, and a checkpoint on a timer
 * in the main thread blocked every request for as long as it took: 10–80 ms a second under a send
 * load (copying a few thousand pages and an fsync), which was the whole of the maximum latency.
 * Here the main thread only looks at the WAL file five times a second; when it was written since and
 * is past CHECKPOINT_BYTES, a worker thread with its own connection copies it back (PASSIVE: it never waits
 * for, nor holds up, the writer). The worker starts the first time it is needed, so an idle node or
 * a short-lived CLI never carries a second thread.
 *
 * The worker alone never lets the WAL start over: SQLite restarts it from its beginning only when
 * every frame has been copied back, and under a steady load the writer always adds frames while the
 * worker copies (a send load grew it to 580 MB in 8 s). So the worker checkpoints again while the
 * writer added more than a few frames during its last pass (each pass is shorter than the one
 * before), and once the WAL holds WAL_CAP_BYTES this thread, between two of its own transactions,
 * copies back the few frames written during the last pass; its next write restarts the WAL. Copying
 * the whole tail here, without the extra passes, cost a send load 8% of its throughput.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** WAL size (bytes) that calls for a checkpoint: about 256 pages, a few hundred writes. */
export const CHECKPOINT_BYTES = 1 << 20;
/**
 * What the WAL may hold (bytes) before this thread finishes a checkpoint so that it starts over. That
 * holds the requests of the moment 1-11 ms (its fsyncs), so it runs only this often: about once a
 * second at a full send load, rarely otherwise. The WAL file stays at about this size.
 */
export const WAL_CAP_BYTES = 64 << 20;
// A short interval keeps each worker checkpoint, and so what the main thread copies after it, small.
const INTERVAL_MS = 200;

// CommonJS, run by the worker: one connection; per message, checkpoints until what the writer added
// during the last one is under TAIL_FRAMES (at most PASSES), then sends back the frames the WAL
// holds (-1: no checkpoint could run). Each pass copies what arrived during the one before, so what
// is left for the main thread shrinks fast.
const TAIL_FRAMES = 64;
const PASSES = 4;
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// exec, not pragma(): pragma() prepares a statement and drops it, which can abort the process (sqlite.ts).
db.exec('pragma busy_timeout = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
parentPort.on('message', () => {
  try {
    let frames = checkpoint.get().log;
    for (let pass = 1; pass < ${PASSES}; pass++) {
      const now = checkpoint.get().log;
      const added = now - frames;
      frames = now;
      if (added >= 0 && added < ${TAIL_FRAMES}) break;
    }
    parentPort.postMessage(frames);
  } catch {
    parentPort.postMessage(-1);
  }
});
`;

export interface Checkpoints {
  /** Checkpoints that ran so far (for tests); one that failed is tried again at the next tick. */
  readonly made: number;
  stop(): Promise<void>;
}

/** `database`: the writer's own connection, which finishes a checkpoint of the worker's when the WAL holds `capBytes`. */
export function startCheckpoints(file: string, database: SqliteDatabase.Database, capBytes = WAL_CAP_BYTES): Checkpoints {
  const wal = `${file}-wal`;
  const catchUp = database.prepare('pragma wal_checkpoint(PASSIVE)');
  // The file is not cut back when the WAL starts over (journal_size_limit): truncating 64 MB held the
  // commit that did it 20 ms. The restarted WAL overwrites the same file, which stays at about capBytes.
  const frameBytes = Number(database.pragma('page_size', { simple: true })) + 24;
  let stopped = false;
  // Never inside a transaction (an open write group or a Kysely transaction): after it, a turn later.
  const finish = () => {
    if (stopped || !database.open) return;
    if (database.inTransaction) return void setImmediate(finish);
    try {
      catchUp.run();
    } catch {
      // Whatever stopped it (the file gone, an I/O error), the next checkpoint tries again.
    }
  };
  let worker: Worker | null = null;
  let running = false;
  let made = 0;
  // When the WAL was last written as of the last checkpoint asked for: while it has not moved, there
  // is nothing new to copy, so an idle node whose last load left a big WAL file wakes nobody. A
  // checkpoint that failed forgets it, so the next tick tries again.
  let checkedAt = -1;

  const walFile = () => {
    try {
      return statSync(wal);
    } catch {
      return null;
    }
  };

  function start(): Worker {
    const w = new Worker(WORKER, { eval: true, workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    w.unref();
    w.on('message', (frames: number) => {
      running = false;
      if (frames < 0) return void (checkedAt = -1);
      made++;
      if (frames * frameBytes >= capBytes) setImmediate(finish);
    });
    // A checkpoint that cannot run (the file went away) is retried at the next tick by a new worker.
    w.on('error', () => {
      running = false;
      worker = null;
      checkedAt = -1;
    });
    return w;
  }

  const timer = setInterval(() => {
    const file = running ? null : walFile();
    if (!file || file.size < CHECKPOINT_BYTES || file.mtimeMs === checkedAt) return;
    running = true;
    checkedAt = file.mtimeMs;
    (worker ??= start()).postMessage(null);
  }, INTERVAL_MS);
  timer.unref();

  return {
    get made() {
      return made;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
