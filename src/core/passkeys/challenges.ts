/**
 * WebAuthn challenges that every node accepts and that are good for one ceremony only.
 *
 * A challenge carries what it was made for, signed: `purpose.subject.expiry.nonce` and an HMAC of
 * them under a key every node shares (sealed in server_secrets). So any node can tell, from the
 * challenge the browser signed, that this server made it, for this ceremony (registration of this
 * account, the second factor of this preLoginToken, or a passwordless sign-in) and that it has not
 * expired, without a lookup. Use is claimed in the shared state (Redis, else the SQL table): the first
 * claim wins on whichever node it reaches, so a replayed assertion, or the same challenge sent to a
 * second node, is refused. The claim lives as long as the challenge could still be valid.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SharedState } from '../../state/shared-state.js';
import { constantTimeEqual, now, sha256Hex } from '../crypto.js';

export type Purpose = 'register' | 'second' | 'login';

/** How long a ceremony may take: WebAuthn's recommended timeout for user verification is 5 minutes. */
export const CHALLENGE_TTL_MS = 300_000;

export interface ChallengeCheck {
  ok: boolean;
  /** Why not, for the audit trail: unknown (not ours, or for another ceremony), expired, replayed. */
  reason?: 'unknown' | 'expired' | 'replayed';
}

export function createChallenges(key: Buffer, state: SharedState) {
  const mac = (body: string) => createHmac('sha256', key).update(`gatehouse passkey challenge\0${body}`).digest('base64url');

  /** A new challenge for this purpose and subject, as the bytes WebAuthn signs. */
  function issue(purpose: Purpose, subject: string): Uint8Array<ArrayBuffer> {
    const body = `${purpose}.${subject}.${now() + CHALLENGE_TTL_MS}.${randomBytes(16).toString('base64url')}`;
    return new TextEncoder().encode(`${body}.${mac(body)}`);
  }

  /** Whether a challenge the client signed (base64url, as clientDataJSON holds it) is ours, for this purpose and subject, and alive. */
  function read(challenge: string, purpose: Purpose, subject: string): ChallengeCheck {
    const text = Buffer.from(challenge, 'base64url').toString('utf8');
    const cut = text.lastIndexOf('.');
    if (cut < 0) return { ok: false, reason: 'unknown' };
    const body = text.slice(0, cut);
    if (!constantTimeEqual(text.slice(cut + 1), mac(body))) return { ok: false, reason: 'unknown' };
    const [p, s, expiry] = body.split('.');
    if (p !== purpose || s !== subject) return { ok: false, reason: 'unknown' };
    if (Number(expiry) <= now()) return { ok: false, reason: 'expired' };
    return { ok: true };
  }

  /** Checks the challenge and spends it: answers ok once across every node sharing the state. */
  async function spend(challenge: string, purpose: Purpose, subject: string): Promise<ChallengeCheck> {
    const check = read(challenge, purpose, subject);
    if (!check.ok) return check;
    return (await state.claim(`passkey-challenge:${sha256Hex(challenge)}`, CHALLENGE_TTL_MS + 60_000)) ? { ok: true } : { ok: false, reason: 'replayed' };
  }

  return { issue, read, spend };
}

export type Challenges = ReturnType<typeof createChallenges>;

/** The challenge a WebAuthn response was made for, from its clientDataJSON; null when unreadable. */
export function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | null {
  const data = response?.response?.clientDataJSON;
  if (typeof data !== 'string') return null;
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' ? parsed.challenge : null;
  } catch {
    return null;
  }
}
