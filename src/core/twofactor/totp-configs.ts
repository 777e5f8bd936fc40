/**
 * Per-account TOTP configuration: the secret (sealed), and the replay guard.
 *
 * Replay: a code is bound to its secret and time step. Accepting step s claims
 * `totp-step:<sha256(secret)>:<s>` in shared state (Redis or SQL, so every node sees it) — keyed by
 * the secret, not the account, so that v1's stateless `/2fa/code:verify` (which knows only the
 * secret) and the login share one guard — and moves the row's last_step to s with a
 * conditional UPDATE (last_step < s), which also refuses any step ≤ s later — on every node, since
 * they share the database. Either guard alone stops a second use; the claim answers first and
 * cheaply under Redis, the UPDATE closes the door for older steps.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { SharedState } from '../../state/shared-state.js';
import type { Statements } from '../../storage/statements.js';
import { constantTimeEqual, now, sha256Hex } from '../crypto.js';
import { SITE_AGENT_ROLES } from '../callers.js';
import { GatehouseError, invalid } from '../errors.js';
import type { Sealer } from '../secrets/envelope.js';
import { base32Decode, base32Encode } from '../totp/base32.js';
import { TOTP_DEFAULTS } from '../totp/otp.js';
import { verifyCodeStep } from '../totp/secrets.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { TwoFactorErrors } from './errors.js';
import type { TwoFactorConfigTable } from './tables.js';

export type TotpCheck = 'ok' | 'invalid' | 'replayed' | 'no_config';

export interface TwoFactorConfig {
  id: number;
  accountId: number;
  createdAt: number;
  updatedAt: number;
}

/** A step stays acceptable for at most 3 periods (the window is ±1); the claim outlives that. */
const CLAIM_TTL_MS = (2 * TOTP_DEFAULTS.window + 2) * TOTP_DEFAULTS.period * 1000;

export const sealContext = (accountId: number | string) => `totp:${accountId}`;

const toConfig = (r: Pick<Selectable<TwoFactorConfigTable>, 'id' | 'account_id' | 'created_at' | 'updated_at'>): TwoFactorConfig => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const secretKeyExists = () => new GatehouseError(TwoFactorErrors.secretKeyExists, 'secretKey have exited');
export const codeVerifyFailed = () => new GatehouseError(TwoFactorErrors.codeVerifyFailed, 'code verify failed', { field: 'code' });

/** A secret as people send it back (lower case, spaces, padding), checked and written canonically. */
export function canonicalSecret(secretKey: string): string {
  const bytes = typeof secretKey === 'string' && secretKey.length <= 200 ? base32Decode(secretKey) : null;
  // createSecret makes 160 bits. 80 is accepted because both Comm100 documents' example secrets
  // (16 base32 characters) are that long, and so are many existing authenticator enrolments.
  if (!bytes || bytes.length < 10 || bytes.length > 64) throw invalid('secretKey', 'must be a base32 secret of 10 to 64 bytes');
  return base32Encode(bytes);
}

/** Claims a secret's time step once, on every node: true the first time. */
export const claimTotpStep = (state: SharedState, secret: string, step: number) =>
  state.claim(`totp-step:${sha256Hex(secret)}:${step}`, CLAIM_TTL_MS);

/** A config as the replay check needs it (PostgreSQL answers last_step, a bigint, as a string). */
export interface StoredTotp {
  secret: string;
  last_step: number | string | null;
}

export const READ_TOTP_SQL = 'select secret, last_step from twofactor_configs where account_id = ?';
/** Moves the account's last step to ? only forward: of two uses of one step, or of an older one after it, one changes the row. */
export const CLAIM_STEP_SQL = 'update twofactor_configs set last_step = ? where account_id = ? and (last_step is null or last_step < ?)';

export function createTotpConfigs(db: Db, statements: Statements, state: SharedState, sealer: Sealer) {
  const readStored = statements.prepare<StoredTotp>(READ_TOTP_SQL);
  const claimStep = statements.prepare(CLAIM_STEP_SQL);

  async function get(accountId: number): Promise<TwoFactorConfig | undefined> {
    const row = await db
      .selectFrom('twofactor_configs')
      .select(['id', 'account_id', 'created_at', 'updated_at'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && toConfig(row);
  }

  async function listForTenant(tenantId: number, role: string): Promise<TwoFactorConfig[]> {
    const rows = await db
      .selectFrom('twofactor_configs')
      .innerJoin('accounts', 'accounts.id', 'twofactor_configs.account_id')
      .select(['twofactor_configs.id', 'twofactor_configs.account_id', 'twofactor_configs.created_at', 'twofactor_configs.updated_at'])
      .where('accounts.tenant_id', '=', tenantId)
      .where('accounts.role', 'in', role === 'agent' ? SITE_AGENT_ROLES : [role])
      .orderBy('twofactor_configs.id')
      .execute();
    return rows.map(toConfig);
  }

  /** Creates the config once a code proves the authenticator holds the secret. */
  async function save(accountId: number, secretKey: string, code: string): Promise<TwoFactorConfig> {
    const secret = canonicalSecret(secretKey);
    if (await get(accountId)) throw secretKeyExists();
    const step = verifyCodeStep(secret, code);
    if (step === null) throw codeVerifyFailed();
    // The setup code must not log in a second time.
    await claimTotpStep(state, secret, step);
    const t = now();
    try {
      const row = await db
        .insertInto('twofactor_configs')
        .values({ account_id: accountId, secret: sealer.seal(secret, sealContext(accountId)), last_step: step, created_at: t, updated_at: t })
        .returning(['id', 'account_id', 'created_at', 'updated_at'])
        .executeTakeFirstOrThrow();
      return toConfig(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw secretKeyExists();
      throw err;
    }
  }

  /**
   * Replaces the secret, again only with a code from the new one. Re-proving the secret already in
   * place spends its code like a login does (once, never an older step). Undefined when there is no config.
   */
  async function update(accountId: number, secretKey: string, code: string): Promise<TwoFactorConfig | undefined> {
    const secret = canonicalSecret(secretKey);
    const current = await db.selectFrom('twofactor_configs').select(['secret', 'last_step']).where('account_id', '=', accountId).executeTakeFirst();
    if (!current) return undefined;
    const step = verifyCodeStep(secret, code);
    if (step === null) throw codeVerifyFailed();
    const sameSecret = constantTimeEqual(sealer.open(current.secret, sealContext(accountId)), secret);
    const claimed = await claimTotpStep(state, secret, step);
    const lastStep = current.last_step === null ? null : Number(current.last_step);
    if (sameSecret && (!claimed || (lastStep !== null && step <= lastStep))) throw codeVerifyFailed();
    let query = db
      .updateTable('twofactor_configs')
      .set({ secret: sealer.seal(secret, sealContext(accountId)), last_step: Math.max(step, lastStep ?? step), updated_at: now() })
      .where('account_id', '=', accountId);
    if (sameSecret) query = query.where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]));
    const row = await query.returning(['id', 'account_id', 'created_at', 'updated_at']).executeTakeFirst();
    if (!row && sameSecret) throw codeVerifyFailed();
    return row && toConfig(row);
  }

  async function remove(accountId: number): Promise<boolean> {
    const result = await db.deleteFrom('twofactor_configs').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * The step a code matches on a config as read (sealed secret, last step), claimed in shared state;
   * or why it is refused. The caller then moves last_step with CLAIM_STEP_SQL, which the login does
   * inside its own outcome statement.
   */
  async function acceptStep(accountId: number, config: StoredTotp, code: string, timeMs: number = now()): Promise<number | 'invalid' | 'replayed'> {
    const secret = sealer.open(config.secret, sealContext(accountId));
    const step = verifyCodeStep(secret, code, timeMs);
    if (step === null) return 'invalid';
    if (config.last_step != null && step <= Number(config.last_step)) return 'replayed';
    if (!(await claimTotpStep(state, secret, step))) return 'replayed';
    return step;
  }

  async function verify(accountId: number, code: string, timeMs: number = now()): Promise<TotpCheck> {
    const row = await readStored.get(accountId);
    if (!row) return 'no_config';
    const step = await acceptStep(accountId, row, code, timeMs);
    if (typeof step !== 'number') return step;
    return (await claimStep.run(step, accountId, step)) === 1 ? 'ok' : 'replayed';
  }

  return { get, listForTenant, save, update, remove, verify, acceptStep };
}
