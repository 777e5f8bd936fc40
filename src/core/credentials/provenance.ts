/** What is kept about a credential besides its hash (0023): the first characters of its secret and who made it. */
import type { Caller } from '../callers.js';

/** What a list shows of a secret: its scheme and first 8 random characters (of 43), enough to recognise a leaked one. */
export const secretPrefix = (secret: string): string => secret.slice(0, 12);

/** Who made a credential, as stored in created_by (0023): an account, a tenant's own credentials, or the operator (CLI). */
export const creatorOf = (caller: Caller | null): string =>
  caller === null ? 'operator' : caller.accountId !== null ? `account:${caller.accountId}` : `tenant:${caller.tenantId}`;
