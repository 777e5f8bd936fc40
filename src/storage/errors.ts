/** Recognises a unique-constraint violation on either dialect, so core can answer "conflict". */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Recognises a foreign-key violation on either dialect (a row's parent deleted meanwhile). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Connection-level PostgreSQL SQLSTATEs (class 08, shutdown, too many connections) and socket errors. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
/** What ioredis and pg say when their server is gone, stalled or the pool cannot connect. */
const UNAVAILABLE_MESSAGE = /^(Command timed out|Stream isn't writeable|Connection is closed|Reached the max retries per request limit|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Whether an error means the database or Redis cannot be reached right now (rather than a bug):
 * answered 503 by every face, logged in one line without a stack.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  return e.name === 'MaxRetriesPerRequestError' || (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message));
}
