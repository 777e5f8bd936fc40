/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already Html
 * (the output of `html` itself or of a helper here), so a name, email or message body can never
 * become markup. No template engine: the pages are small and this is the whole of it.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Part = Html | string | number | boolean | null | undefined | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A time (ms since the epoch) as a readable UTC moment, inside <time> for machines. */
export function when(ms: number | null | undefined): Html {
  if (ms === null || ms === undefined) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export interface Notice {
  kind: 'error' | 'ok' | 'info';
  text: string;
}

export interface PageOptions {
  title: string;
  /** Who is signed in, for the header; absent on public pages. */
  who?: string | null;
  notice?: Notice | null;
  /** The CSRF token for the sign-out form in the header. */
  csrf?: string;
  wide?: boolean;
  /** Where the header's sign-out posts: /logout for an agent, /console/forget for a console key. */
  signOut?: string;
}

export function page(options: PageOptions, body: Html): string {
  const { title, who, notice, csrf, wide, signOut = '/logout' } = options;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title><link rel="stylesheet" href="/assets/web.css"></head>
<body><header class="top"><a class="brand" href="/login">Gatehouse</a>
${who ? html`<span class="who">${who}</span><form method="post" action="${signOut}" class="inline"><input type="hidden" name="_csrf" value="${csrf ?? ''}"><button class="link">Sign out</button></form>` : ''}
</header>
<main class="${wide ? 'wide' : 'narrow'}"><h1>${title}</h1>
${noticeBlock(notice)}
${body}
</main></body></html>`.text;
}

/** A notice as the pages show it (an error is an alert for screen readers). */
export const noticeBlock = (notice: Notice | null | undefined): Html =>
  notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}</p>` : html``;

/** The hidden field every form post carries (see csrf.ts). */
export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;
