/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): one credential serves both as a second factor
 * after a password and, when the authenticator verified its user, as a whole sign-in on its own.
 *
 *   registrationOptions / register   a signed-in person adds a passkey: attestation "none", resident
 *                                    key preferred, user verification required
 *   list / rename / remove           the person's own passkeys (remove refuses the last one of a
 *                                    phishing-resistant site)
 *   secondFactorOptions / verifySecondFactor   the login flow's step after the password
 *   passwordlessOptions / identify   a discoverable-credential sign-in: user verification required
 *
 * Every ceremony checks the relying party ID and the origins of the configuration (config.passkeys,
 * from GATEHOUSE_PUBLIC_URL and GATEHOUSE_PASSKEY_ORIGINS) and spends its challenge once across every
 * node (challenges.ts). A signature counter that does not grow (a cloned authenticator) refuses the
 * sign-in, is audited and announced to onEvent listeners. Every registration, use, rename and removal
 * is an audit event.
 */
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Audit } from '../audit/audit.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now, sha256Hex } from '../crypto.js';
import { invalid, notFound } from '../errors.js';
import { requireCapability } from '../roles.js';
import { authenticatorName } from './aaguids.js';
import { type Challenges, type Purpose, challengeOf } from './challenges.js';
import { lastPasskey, passkeyFailed, passkeysUnavailable } from './errors.js';

export interface Passkey {
  id: number;
  name: string;
  /** The authenticator's name from its AAGUID, or null when unknown. */
  authenticator: string | null;
  aaguid: string;
  backedUp: boolean;
  deviceType: string;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

/** An account a passkey identified (passwordless) or confirmed (second factor). */
export interface PasskeyUse {
  accountId: number;
  tenantId: number;
  passkeyId: number;
  userVerified: boolean;
}

export interface PasskeyEvent {
  type: 'cloned_authenticator';
  accountId: number;
  tenantId: number;
  passkeyId: number;
  at: number;
}

type Row = {
  id: number;
  account_id: number;
  credential_id: string;
  public_key: string;
  counter: number | string;
  transports: string;
  backed_up: number;
  device_type: string;
  aaguid: string;
  name: string;
  created_at: number | string;
  last_used_at: number | string | null;
};

const view = (r: Row): Passkey => ({
  id: Number(r.id),
  name: r.name,
  authenticator: authenticatorName(r.aaguid),
  aaguid: r.aaguid,
  backedUp: Number(r.backed_up) === 1,
  deviceType: r.device_type,
  transports: r.transports ? r.transports.split(',') : [],
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

/** The user handle of an account's passkeys: its id, never its email (an authenticator may show or sync it). */
const userHandle = (accountId: number) => `gh-account-${accountId}`;
const accountOfHandle = (handle: string | undefined): number | null => {
  if (!handle) return null;
  const m = /^gh-account-([1-9][0-9]{0,14})$/.exec(Buffer.from(handle, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : null;
};

const NAME_MAX = 100;
const cleanName = (name: string) => {
  const n = name.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!n) throw invalid('name', 'must not be empty');
  if (n.length > NAME_MAX) throw invalid('name', `must be at most ${NAME_MAX} characters`);
  return n;
};

export type Passkeys = ReturnType<typeof createPasskeys>;

export function createPasskeys(deps: CoreDeps, parts: { audit: Audit; challenges: Challenges }) {
  const { db, config } = deps;
  const { audit, challenges } = parts;
  const listeners: Array<(e: PasskeyEvent) => void | Promise<void>> = [];

  function relyingParty() {
    if (!config.passkeys) throw passkeysUnavailable();
    return config.passkeys;
  }

  async function accountOf(caller: Caller) {
    requireCapability(caller, 'passkeys.manage');
    if (caller.accountId === null) throw notFound('account');
    const row = await db.selectFrom('accounts').select(['id', 'tenant_id', 'email', 'username', 'display_name']).where('id', '=', caller.accountId).executeTakeFirst();
    if (!row) throw notFound('account');
    return { id: Number(row.id), tenantId: Number(row.tenant_id), label: row.email ?? row.username ?? `account ${row.id}`, displayName: row.display_name ?? row.email ?? '' };
  }

  const rowsOf = (accountId: number) => db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('id').execute() as Promise<Row[]>;

  async function count(accountId: number): Promise<number> {
    const row = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number | string>().as('n')).where('account_id', '=', accountId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The Gatehouse-own site policy beside 2FARequirement: agents of the site must sign in with a passkey. */
  async function phishingResistant(tenantId: number): Promise<boolean> {
    const row = await db.selectFrom('passkey_site_policies').select('phishing_resistant').where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(row?.phishing_resistant ?? 0) === 1;
  }

  /** Sets the policy of a site the caller was already allowed to set the 2FARequirement of (the face resolves it through twoFactor.manage). */
  async function setPhishingResistant(siteId: number, on: boolean, actorAccountId: number | null, clientAddress: string | null): Promise<boolean> {
    const t = now();
    await db
      .insertInto('passkey_site_policies')
      .values({ tenant_id: siteId, phishing_resistant: on ? 1 : 0, updated_at: t })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ phishing_resistant: on ? 1 : 0, updated_at: t }))
      .execute();
    await audit.record({ tenantId: siteId, accountId: null, event: 'site_phishing_resistant_set', clientAddress, detail: { on, actorAccountId } });
    return on;
  }

  async function registrationOptions(caller: Caller): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const rp = relyingParty();
    const account = await accountOf(caller);
    const existing = await rowsOf(account.id);
    return generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: account.label,
      userDisplayName: account.displayName,
      userID: new TextEncoder().encode(userHandle(account.id)),
      challenge: challenges.issue('register', String(account.id)),
      timeout: 300_000,
      attestationType: 'none',
      // The same authenticator twice would be one key under two names.
      excludeCredentials: existing.map((r) => ({ id: r.credential_id, transports: r.transports ? r.transports.split(',') : undefined })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    });
  }

  /** Reads what a ceremony's response claims, refusing anything but the shape WebAuthn gives. */
  function challengeFrom(response: unknown): string {
    const challenge = challengeOf(response as { response?: { clientDataJSON?: unknown } });
    if (!challenge) throw invalid('assertion', 'is not a WebAuthn response (no clientDataJSON challenge)');
    return challenge;
  }

  async function spend(response: unknown, purpose: Purpose, subject: string): Promise<string | null> {
    const check = await challenges.spend(challengeFrom(response), purpose, subject);
    return check.ok ? null : check.reason!;
  }

  async function register(caller: Caller, response: unknown, name: string | undefined, clientAddress: string | null): Promise<Passkey> {
    const rp = relyingParty();
    const account = await accountOf(caller);
    const refused = await spend(response, 'register', String(account.id));
    const fail = async (why: string) => {
      await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'passkey_failure', clientAddress, detail: { ceremony: 'registration', reason: why } });
      return passkeyFailed(why);
    };
    if (refused) throw await fail(`challenge ${refused}`);
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: () => true,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        requireUserVerification: true,
      });
    } catch (err) {
      throw await fail((err as Error).message);
    }
    if (!verified.verified) throw await fail('not verified');
    const info = verified.registrationInfo;
    const t = now();
    const label = name ? cleanName(name) : (authenticatorName(info.aaguid) ?? 'Passkey');
    let id: number;
    try {
      const inserted = await db
        .insertInto('passkeys')
        .values({
          account_id: account.id,
          credential_id: info.credential.id,
          public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
          counter: info.credential.counter,
          transports: (info.credential.transports ?? []).join(','),
          backed_up: info.credentialBackedUp ? 1 : 0,
          device_type: info.credentialDeviceType,
          aaguid: info.aaguid,
          name: label,
          created_at: t,
          last_used_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      id = Number(inserted.id);
    } catch (err) {
      if (/unique|duplicate/i.test((err as Error).message)) throw await fail('this passkey is already registered');
      throw err;
    }
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'passkey_registered', clientAddress, detail: { credential: id, aaguid: info.aaguid, backedUp: info.credentialBackedUp } });
    return view((await db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Row);
  }

  async function list(caller: Caller): Promise<Passkey[]> {
    const account = await accountOf(caller);
    return (await rowsOf(account.id)).map(view);
  }

  async function ownRow(caller: Caller, id: number) {
    const account = await accountOf(caller);
    const row = (await db.selectFrom('passkeys').selectAll().where('id', '=', id).where('account_id', '=', account.id).executeTakeFirst()) as Row | undefined;
    if (!row) throw notFound('passkey');
    return { account, row };
  }

  async function get(caller: Caller, id: number): Promise<Passkey> {
    return view((await ownRow(caller, id)).row);
  }

  async function rename(caller: Caller, id: number, name: string, clientAddress: string | null): Promise<Passkey> {
    const { account, row } = await ownRow(caller, id);
    const label = cleanName(name);
    await db.updateTable('passkeys').set({ name: label }).where('id', '=', row.id).execute();
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'passkey_renamed', clientAddress, detail: { credential: Number(row.id) } });
    return view({ ...row, name: label });
  }

  async function remove(caller: Caller, id: number, clientAddress: string | null): Promise<void> {
    const { account, row } = await ownRow(caller, id);
    // The last passkey of a phishing-resistant site's account is its only way in: keep it.
    if ((await phishingResistant(account.tenantId)) && (await count(account.id)) <= 1) throw lastPasskey();
    await db.deleteFrom('passkeys').where('id', '=', row.id).execute();
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'passkey_removed', clientAddress, detail: { credential: Number(row.id), by: 'owner' } });
  }

  /** An admin's "reset 2FA": the account's passkeys go with its TOTP secret (a password change keeps them). */
  async function removeAll(accountId: number, tenantId: number, actorAccountId: number | null, clientAddress: string | null): Promise<number> {
    const gone = await db.deleteFrom('passkeys').where('account_id', '=', accountId).returning('id').execute();
    for (const r of gone) {
      await audit.record({ tenantId, accountId, event: 'passkey_removed', clientAddress, detail: { credential: Number(r.id), by: 'reset', actorAccountId } });
    }
    return gone.length;
  }

  /** The assertion options of a login's second factor: the account's passkeys, for this preLoginToken only. */
  async function secondFactorOptions(accountId: number, preLoginToken: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    if (!config.passkeys) return null;
    const rows = await rowsOf(accountId);
    if (!rows.length) return null;
    return generateAuthenticationOptions({
      rpID: config.passkeys.rpId,
      allowCredentials: rows.map((r) => ({ id: r.credential_id, transports: r.transports ? r.transports.split(',') : undefined })),
      challenge: challenges.issue('second', sha256Hex(preLoginToken).slice(0, 32)),
      timeout: 300_000,
      // After a password, presence is the second factor; verification is asked for but not required.
      userVerification: 'preferred',
    });
  }

  async function passwordlessOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rp = relyingParty();
    return generateAuthenticationOptions({ rpID: rp.rpId, challenge: challenges.issue('login', '-'), timeout: 300_000, userVerification: 'required' });
  }

  /**
   * Checks an assertion against the stored passkey: the challenge (spent once), origin, RP ID,
   * signature, user verification when required, and the counter. Answers the use, or why not.
   */
  async function assert(
    response: unknown,
    purpose: Purpose,
    subject: string,
    expectedAccount: number | null,
    requireUserVerification: boolean,
    clientAddress: string | null,
  ): Promise<{ ok: true; use: PasskeyUse } | { ok: false; reason: string; accountId: number | null; tenantId: number | null }> {
    const rp = relyingParty();
    const r = response as AuthenticationResponseJSON;
    const credentialId = typeof r?.id === 'string' ? r.id : typeof r?.rawId === 'string' ? r.rawId : null;
    if (!credentialId || credentialId.length > 1400) throw invalid('assertion', 'is not a WebAuthn assertion (no credential id)');
    challengeFrom(response);
    const row = (await db
      .selectFrom('passkeys')
      .innerJoin('accounts', 'accounts.id', 'passkeys.account_id')
      .selectAll('passkeys')
      .select(['accounts.tenant_id', 'accounts.blocked', 'accounts.activated'])
      .where('passkeys.credential_id', '=', credentialId)
      .executeTakeFirst()) as (Row & { tenant_id: number; blocked: number; activated: number }) | undefined;
    // A removed passkey is no row any more: its user handle still says whose it was, for the audit trail.
    const accountId = row ? Number(row.account_id) : (expectedAccount ?? accountOfHandle(r.response?.userHandle));
    const tenantId = row ? Number(row.tenant_id) : null;
    const failed = async (reason: string) => {
      const tenant = tenantId ?? (accountId !== null ? Number((await db.selectFrom('accounts').select('tenant_id').where('id', '=', accountId).executeTakeFirst())?.tenant_id ?? 0) : 0);
      if (tenant) await audit.record({ tenantId: tenant, accountId, event: 'passkey_failure', clientAddress, detail: { ceremony: purpose, reason } });
      return { ok: false as const, reason, accountId, tenantId: tenant || null };
    };
    // Spent first, whatever follows: a response is good for one try, on any node.
    const refused = await spend(response, purpose, subject);
    if (refused) return failed(`challenge ${refused}`);
    if (!row) return failed('unknown or removed passkey');
    if (expectedAccount !== null && Number(row.account_id) !== expectedAccount) return failed('passkey of another account');
    if (purpose === 'login') {
      const handle = accountOfHandle(r.response?.userHandle);
      if (handle !== null && handle !== Number(row.account_id)) return failed('user handle does not match the passkey');
      if (Number(row.blocked) === 1 || Number(row.activated) !== 1) return failed('account blocked or not activated');
    }
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: r,
        expectedChallenge: () => true,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        // The counter is checked below, where a regression is told apart from other failures.
        credential: { id: row.credential_id, publicKey: Uint8Array.from(Buffer.from(row.public_key, 'base64url')), counter: 0 },
        requireUserVerification,
      });
    } catch (err) {
      return failed((err as Error).message);
    }
    if (!verified.verified) return failed('signature not verified');
    const info = verified.authenticationInfo;
    const stored = Number(row.counter);
    // A counter that does not grow (authenticators without one always send 0) means a second copy of the key.
    if ((stored > 0 || info.newCounter > 0) && info.newCounter <= stored) {
      const t = now();
      await audit.record({ tenantId: tenantId!, accountId: Number(row.account_id), event: 'passkey_counter_regressed', clientAddress, detail: { credential: Number(row.id), stored, presented: info.newCounter } });
      for (const listener of listeners) await listener({ type: 'cloned_authenticator', accountId: Number(row.account_id), tenantId: tenantId!, passkeyId: Number(row.id), at: t });
      return { ok: false, reason: 'signature counter went backwards (a cloned authenticator?)', accountId, tenantId };
    }
    const t = now();
    // Only forward: of two concurrent uses with the same counter, one moves it.
    const moved = await db
      .updateTable('passkeys')
      .set({ counter: info.newCounter, last_used_at: t, backed_up: info.credentialBackedUp ? 1 : 0 })
      .where('id', '=', row.id)
      .where((eb) => (info.newCounter === 0 ? eb('counter', '=', 0) : eb('counter', '<', info.newCounter)))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return failed('signature counter already used');
    await audit.record({ tenantId: tenantId!, accountId: Number(row.account_id), event: 'passkey_used', clientAddress, detail: { credential: Number(row.id), ceremony: purpose, userVerified: info.userVerified } });
    return { ok: true, use: { accountId: Number(row.account_id), tenantId: tenantId!, passkeyId: Number(row.id), userVerified: info.userVerified } };
  }

  /** The second factor of a login: the assertion of one of the account's passkeys, for this preLoginToken. */
  function verifySecondFactor(accountId: number, preLoginToken: string, response: unknown, clientAddress: string | null) {
    return assert(response, 'second', sha256Hex(preLoginToken).slice(0, 32), accountId, false, clientAddress);
  }

  /** A passwordless sign-in: whose passkey this is, when the authenticator verified its user. */
  async function identify(response: unknown, clientAddress: string | null): Promise<PasskeyUse> {
    const result = await assert(response, 'login', '-', null, true, clientAddress);
    if (!result.ok) throw passkeyFailed(result.reason);
    return result.use;
  }

  return {
    registrationOptions,
    register,
    list,
    get,
    rename,
    remove,
    removeAll,
    count,
    phishingResistant,
    setPhishingResistant,
    secondFactorOptions,
    verifySecondFactor,
    passwordlessOptions,
    identify,
    enabled: () => config.passkeys !== null,
    onEvent: (listener: (e: PasskeyEvent) => void | Promise<void>) => void listeners.push(listener),
  };
}

