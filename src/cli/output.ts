/**
 * What a command prints: one line of JSON with --json (for scripts: every date ISO 8601, as the API
 * answers), otherwise a table a person reads (a list: one row per item under a header; one item: a
 * "name  value" line per field). Views (views.ts) have turned dates into ISO strings already.
 */
export type Row = Record<string, unknown>;

const text = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object' && 'label' in (v as object)) return String((v as { label: unknown }).label);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

/** A list as columns: a header, a rule, one line per row; "(none)" when empty. */
export function table(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const keys = columns ?? Object.keys(rows[0]!);
  const cells = rows.map((r) => keys.map((k) => text(r[k])));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

/** One item as "name  value" lines. */
export function record(row: Row): string {
  const width = Math.max(...Object.keys(row).map((k) => k.length));
  return Object.entries(row).map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`.trimEnd()).join('\n') + '\n';
}

export interface Output {
  json: boolean;
  /** Prints a list, or one item. */
  print(value: Row | Row[], columns?: string[]): void;
}

export function output(json: boolean, write: (s: string) => void = (s) => void process.stdout.write(s)): Output {
  return {
    json,
    print(value, columns) {
      if (json) write(JSON.stringify(value) + '\n');
      else write(Array.isArray(value) ? table(value, columns) : record(value));
    },
  };
}
