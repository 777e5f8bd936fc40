/**
 * One attempt: the signed body POSTed to the webhook's URL over HTTPS, through the address guard
 * (the socket connects only to addresses it checked), no redirects followed (a 3xx is not a 2xx),
 * the answer's body read and dropped, the whole attempt bounded by the timeout.
 */
import { request } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { type Lookup, UnsafeAddressError, guardedLookup, safeAddresses } from './address-guard.js';

export interface PostOptions {
  allowPrivate: boolean;
  caPem: string | null;
  timeoutMs: number;
  /** The resolver (tests stand in a rebinding DNS); the operating system's by default. */
  lookup?: Lookup;
}

/**
 * How an attempt ended: the receiver's status (null when it never answered) or why there was none;
 * `refused`: the address guard refused the host; `retryAfterMs`: the receiver's Retry-After.
 */
export interface Attempt {
  status: number | null;
  error: string | null;
  refused?: boolean;
  retryAfterMs?: number | null;
}

/** Retry-After in seconds or as an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d{1,7}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function createPoster(options: PostOptions) {
  const ca = options.caPem ? [...rootCertificates, options.caPem] : undefined;
  const lookup = guardedLookup(options.allowPrivate, options.lookup);

  return async function post(url: string, headers: Record<string, string>, body: string): Promise<Attempt> {
    const target = new URL(url);
    if (target.protocol !== 'https:') return { status: null, error: 'not an https URL', refused: true };
    // A literal address never reaches the socket's lookup: checked here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      try {
        await safeAddresses(literal, options.allowPrivate);
      } catch (err) {
        return { status: null, error: (err as Error).message, refused: true };
      }
    }
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const done = (a: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      const req = request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Gatehouse-Webhooks/1' },
          lookup: lookup as never,
          ca,
          agent: false,
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          // Only an answer asking to come back later is taken at its word on when.
          const later = status === 429 || status === 503 ? retryAfter(res.headers['retry-after']) : null;
          res.on('end', () => done({ status, error: null, retryAfterMs: later }));
          res.on('error', () => done({ status, error: null, retryAfterMs: later }));
        },
      );
      const timer = setTimeout(() => {
        done({ status: null, error: `no answer within ${options.timeoutMs / 1000} s`, refused: false });
        req.destroy();
      }, options.timeoutMs);
      req.on('error', (err) => done({ status: null, error: err.message.slice(0, 300), refused: err instanceof UnsafeAddressError }));
      req.end(body);
    });
  };
}
