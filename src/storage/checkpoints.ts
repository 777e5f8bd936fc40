/**
 * WAL checkpoints for the SQLite file, off the thread that answers requests.
 *
 * SQLite runs a checkpoint inside whichever commit crosses its threshold, and a checkpoint on a timer
 * in the main thread blocked every request for as long as it took: 10–80 ms a second under a send
 * load (copying a few thousand pages and an fsync), which was the whole of the maximum latency.
 * Here the main thread only looks at the WAL's size once a second; when it has grown past
 * CHECKPOINT_BYTES, a worker thread with its own connection copies it back (PASSIVE: it never waits
 * for, nor holds up, the writer). The worker starts the first time it is needed, so an idle node or
 * a short-lived CLI never carries a second thread.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL size (bytes) that calls for a checkpoint: about 256 pages, a few hundred writes. */
export const CHECKPOINT_BYTES = 1 << 20;
const INTERVAL_MS = 1000;

// CommonJS, run by the worker: one connection, a checkpoint per message, whether it ran sent back.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
parentPort.on('message', () => {
  try {
    checkpoint.run();
    parentPort.postMessage(true);
  } catch {
    parentPort.postMessage(false);
  }
});
`;

export interface Checkpoints {
  /** Checkpoints that ran so far (for tests); one that failed is tried again at the next tick. */
  readonly made: number;
  stop(): Promise<void>;
}

export function startCheckpoints(file: string): Checkpoints {
  const wal = `${file}-wal`;
  let worker: Worker | null = null;
  let running = false;
  let made = 0;

  const walBytes = () => {
    try {
      return statSync(wal).size;
    } catch {
      return 0;
    }
  };

  function start(): Worker {
    const w = new Worker(WORKER, { eval: true, workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    w.unref();
    w.on('message', (ran: boolean) => {
      running = false;
      if (ran) made++;
    });
    // A checkpoint that cannot run (the file went away) is retried at the next tick by a new worker.
    w.on('error', () => {
      running = false;
      worker = null;
    });
    return w;
  }

  const timer = setInterval(() => {
    if (running || walBytes() < CHECKPOINT_BYTES) return;
    running = true;
    (worker ??= start()).postMessage(null);
  }, INTERVAL_MS);
  timer.unref();

  return {
    get made() {
      return made;
    },
    async stop() {
      clearInterval(timer);
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
