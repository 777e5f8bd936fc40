/** The limits search API's paging, dates and sorting, shared by every Smart 2FA search. */
import { Type } from '@sinclair/typebox';
import { invalid } from '../../core/errors.js';

const ISO = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY_MS = 86_400_000;

/**
 * "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.mmm]", UTC unless an offset follows (Z, +0000, +05:30 — so
 * the dates Gatehouse prints can be sent back), as epoch ms. A bare date is its midnight, or with
 * `wholeDay` (an inclusive end) the last millisecond of that day, so endTime=2026-11-30 includes the 30th.
 */
export function parseTime(field: string, value: string | undefined, options: { wholeDay?: boolean } = {}): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = ISO.exec(value);
  if (m && !m[2] && m[5]) throw invalid(field, 'an offset needs a time: 2018-10-05T22:45:32Z, or the date alone');
  const offset = m?.[5] && m[5] !== 'Z' ? `${m[5].slice(0, 3)}:${m[5].slice(-2)}` : 'Z';
  const ms = m ? Date.parse(`${m[1]}${m[2] ?? 'T00:00:00'}${offset}`) : NaN;
  if (Number.isNaN(ms)) throw invalid(field, 'must be an ISO-8601 date or date-time such as 2018-10-05 or 2018-10-05T22:45:32 (UTC)');
  return m && !m[2] && options.wholeDay ? ms + DAY_MS - 1 : ms;
}

/** "2021-02-04T03:52:09.400+0000", as the spec prints dates. */
export const specDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export function parseSort<T extends string>(value: string | undefined, attributes: readonly T[], fallback: [T, 'asc' | 'desc']): [T, 'asc' | 'desc'] {
  if (!value) return fallback;
  const [name = '', given = 'asc'] = value.split(':');
  // The document's own table spells attributes "Name" and "dateCreated": case does not matter.
  const attribute = attributes.find((a) => a.toLowerCase() === name.toLowerCase());
  const direction = given.toLowerCase();
  if (!attribute || (direction !== 'asc' && direction !== 'desc')) {
    throw invalid('SortBy', `must be attribute[:asc|desc] with attribute one of ${attributes.join(', ')}`);
  }
  return [attribute, direction];
}

export const PagingQuery = {
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'page number from 0 (default 0)' })),
  Page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'the same as page, as the document\'s parameter table spells it' })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
  accountSid: Type.Optional(Type.String({ maxLength: 34 })),
  subAccounts: Type.Optional(Type.Boolean()),
  startTime: Type.Optional(Type.String({ maxLength: 40 })),
  endTime: Type.Optional(Type.String({ maxLength: 40 })),
  SortBy: Type.Optional(Type.String({ maxLength: 40 })),
};

export const PageFields = {
  pageSize: Type.Integer(),
  total: Type.Integer(),
  page: Type.Integer(),
  numPages: Type.Integer(),
  start: Type.Integer(),
  end: Type.Integer(),
  firstPageUri: Type.String(),
  nextPageUri: Type.Union([Type.String(), Type.Null()]),
  uri: Type.String(),
};

/** The page asked for: `page`, or `Page` as the document's parameter table spells it. */
export function pageNumber(query: { page?: number; Page?: number }): number {
  if (query.page !== undefined && query.Page !== undefined && query.page !== query.Page) throw invalid('Page', 'and page differ: send one of them');
  return query.page ?? query.Page ?? 0;
}

/** The page's numbers and URIs; the URIs keep every filter given and change only page (spelled page). */
export function page(path: string, query: Record<string, unknown>, pageNo: number, pageSize: number, total: number, count: number) {
  const uri = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'page' && k !== 'Page' && k !== 'pageSize') params.set(k, String(v));
    params.set('pageSize', String(pageSize));
    params.set('page', String(p));
    return `${path}?${params.toString()}`;
  };
  const numPages = Math.ceil(total / pageSize);
  const start = pageNo * pageSize;
  return {
    pageSize,
    total,
    page: pageNo,
    numPages,
    start,
    end: count > 0 ? start + count - 1 : start,
    firstPageUri: uri(0),
    nextPageUri: pageNo + 1 < numPages ? uri(pageNo + 1) : null,
    uri: uri(pageNo),
  };
}
