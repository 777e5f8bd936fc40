/**
 * One attempt: the signed body POSTed to the webhook's URL over HTTPS, through the address guard
 * (the socket connects only to addresses it checked), no redirects followed (a 3xx is not a 2xx),
 * the answer's body read and dropped, the whole attempt bounded by the timeout.
 */
import { request } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { UnsafeAddressError, guardedLookup, safeAddresses } from './address-guard.js';

export interface PostOptions {
  allowPrivate: boolean;
  caPem: string | null;
  timeoutMs: number;
}

/** How an attempt ended: the receiver's status, or why there was none; `refused` is the address guard's. */
export type Attempt = { status: number; error: string | null } | { status: null; error: string; refused: boolean };

export function createPoster(options: PostOptions) {
  const ca = options.caPem ? [...rootCertificates, options.caPem] : undefined;
  const lookup = guardedLookup(options.allowPrivate);

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
          res.on('end', () => done({ status: res.statusCode ?? 0, error: null }));
          res.on('error', () => done({ status: res.statusCode ?? 0, error: null }));
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
