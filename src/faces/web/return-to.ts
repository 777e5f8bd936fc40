/**
 * Where a page sends someone back to after signing in (?next=): only a path of this server. Anything
 * that a browser could read as another host is refused: `//evil`, `/\evil`, their percent-encoded
 * forms, a scheme, a control character. Refused means "no return-to", never an error.
 */
const SIGN_IN_PATHS = ['/login', '/logout'];

export function safeReturnTo(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 500) return null;
  let decoded = value;
  // Decoded until stable (at most a few rounds), so %2F%2F and %252F%252F are seen as the slashes they become.
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return null;
    }
    if (next === decoded) break;
    decoded = next;
  }
  for (const form of [value, decoded]) {
    if (!form.startsWith('/') || form.startsWith('//') || form.includes('\\') || /[\u0000-\u001f\u007f]/.test(form)) return null;
  }
  const url = new URL(value, 'http://gatehouse.invalid');
  if (url.origin !== 'http://gatehouse.invalid') return null;
  if (SIGN_IN_PATHS.includes(url.pathname)) return null;
  return `${url.pathname}${url.search}`;
}

/** /login with a return-to, for a page that needs a signed-in person. */
export const loginPath = (next: string | null): string => (next ? `/login?next=${encodeURIComponent(next)}` : '/login');
