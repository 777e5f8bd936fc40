/**
 * Where JSON log lines go: stdout, in batches. One write per request (even pino's asynchronous
 * sonic-boom writes whatever has piled up each time the last write completes) costs the hot path more
 * than the request itself, so lines are collected and written at most every 100 ms, or as soon as
 * 64 KiB are waiting; exit writes the rest synchronously. A crash can lose the last 100 ms of lines.
 */
import { writeSync } from 'node:fs';
import { write } from 'node:fs';

const FLUSH_MS = 100;
const HIGH_WATER = 64 * 1024;

export interface LogDestination {
  write(line: string): void;
  flushSync(): void;
}

export function createLogDestination(fd = 1): LogDestination {
  let pending: string[] = [];
  let size = 0;
  let writing = false;

  const flush = () => {
    if (writing || size === 0) return;
    const chunk = pending.join('');
    pending = [];
    size = 0;
    writing = true;
    write(fd, chunk, (err) => {
      writing = false;
      // stdout gone (a closed pipe): drop lines rather than crash the server over its log.
      if (err && (err as NodeJS.ErrnoException).code !== 'EAGAIN') pending = [];
      if (size >= HIGH_WATER) flush();
    });
  };
  setInterval(flush, FLUSH_MS).unref();

  return {
    write(line) {
      pending.push(line);
      size += line.length;
      if (size >= HIGH_WATER) flush();
    },
    flushSync() {
      const chunk = pending.join('');
      pending = [];
      size = 0;
      if (chunk) {
        try {
          writeSync(fd, chunk);
        } catch {
          // nothing left to tell
        }
      }
    },
  };
}
