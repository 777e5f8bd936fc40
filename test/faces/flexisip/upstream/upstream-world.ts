/**
 * What the ports of upstream's feature tests share: a default install (no GATEHOUSE_FLEXISIP_DOMAIN)
 * whose one tenant owns one SIP domain, standing for upstream's single configured `app.sip_domain`,
 * and upstream's factories as calls: an account, an admin account, each with its API key.
 */
import { apiKey, call, type TestServer } from '../../../helpers/server.js';
import { type SipUser, type World, apiKeyOf, createAccount, uniqueName } from '../world.js';

export interface Member extends SipUser {
  /** Headers carrying the account's API key (upstream's keyAuthenticated). */
  key: Record<string, string>;
}

/** Account::factory()->create(), with its API key (generateApiKey). */
export async function member(w: World, fields: Record<string, unknown> = {}): Promise<Member> {
  const user = await createAccount(w, fields);
  return { ...user, key: await apiKeyOf(w, user) };
}

/** Account::factory()->admin()->create(), with its API key. */
export const adminMember = (w: World, fields: Record<string, unknown> = {}) => member(w, { admin: true, ...fields });

/** The stored token rows, for upstream's assertDatabaseHas. */
export const db = (server: TestServer) => server.runtime.storage.db;

export { apiKey, call, uniqueName };
