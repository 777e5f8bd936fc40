/**
 * The SIP account life cycle behind the Flexisip face, one module per kind of flow: tokens and API
 * keys, public accounts, the account's own operations (User), domain administration (Admin). Who may
 * act is decided in access.ts; part 2 of the face adds its flows beside these.
 */
import type { CoreDeps } from '../context.js';
import { createAdminAccounts } from './admin-accounts.js';
import { type FlexisipOptions, createContext } from './common.js';
import { createOwnAccount } from './own-account.js';
import { createPublicAccounts } from './public-accounts.js';
import { createTokenFlows } from './token-flows.js';

export type { AccountAnswer, AccountFields, FlexisipOptions } from './common.js';

export function createFlexisip(deps: CoreDeps, options: FlexisipOptions) {
  const ctx = createContext(deps, options);
  return {
    context: ctx,
    accounts: ctx.accounts,
    devices: ctx.devices,
    access: ctx.access,
    ...createTokenFlows(ctx),
    ...createPublicAccounts(ctx),
    ...createOwnAccount(ctx),
    ...createAdminAccounts(ctx),
  };
}

export type Flexisip = ReturnType<typeof createFlexisip>;
