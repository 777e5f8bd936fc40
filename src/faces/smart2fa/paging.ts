/** The limits search API's paging, dates and sorting, shared by every Smart 2FA search. */
import { Type } from '@sinclair/typebox';
import { invalid } from '../../core/errors.js';

const ISO = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?$/;

/** "YYYY-MM-DD" (midnight) or "YYYY-MM-DDTHH:MM:SS", UTC, as epoch ms. */
export function parseTime(field: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = ISO.exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[2] ?? 'T00:00:00'}Z`) : NaN;
  if (Number.isNaN(ms)) throw invalid(field, 'must be an ISO-8601 date or date-time such as 2018-10-05 or 2018-10-05T22:45:32 (UTC)');
  return ms;
}

/** "2021-02-04T03:52:09.400+0000", as the spec prints dates. */
export const specDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export function parseSort<T extends string>(value: string | undefined, attributes: readonly T[], fallback: [T, 'asc' | 'desc']): [T, 'asc' | 'desc'] {
  if (!value) return fallback;
  const [attribute, direction = 'asc'] = value.split(':');
  if (!attributes.includes(attribute as T) || (direction !== 'asc' && direction !== 'desc')) {
    throw invalid('SortBy', `must be attribute[:asc|desc] with attribute one of ${attributes.join(', ')}`);
  }
  return [attribute as T, direction];
}

export const PagingQuery = {
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
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

/** The page's numbers and URIs; the URIs keep every filter given and change only page. */
export function page(path: string, query: Record<string, unknown>, pageNo: number, pageSize: number, total: number, count: number) {
  const uri = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'page' && k !== 'pageSize') params.set(k, String(v));
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
