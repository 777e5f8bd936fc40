/**
 * The account's own operations (User): read, provision, delete, password, email change (a code by the
 * email channel), phone change (a code through the one-time-code core), devices.
 */
import type { Caller } from '../callers.js';
import { now, randomString, sha256Hex } from '../crypto.js';
import { CommonErrors, GatehouseError, forbidden, notFound } from '../errors.js';
import type { DigestAlgorithm } from '../sip/digest.js';
import { FraudErrors } from '../fraud/errors.js';
import { EMAIL_CHANGE_ATTEMPTS, type SipAccount } from './accounts.js';
import type { AccountAnswer, FlexisipContext } from './common.js';
import { Problems, checkAlgorithm, checkEmail, checkPassword, checkPhone, refuse } from './validation.js';

const EMAIL_CODE_TTL_MS = 15 * 60_000;
const PHONE_SERVICE = 'flexisip-phone';

export function createOwnAccount(ctx: FlexisipContext) {
  const { db, accounts, devices, answer, self, checkUnique, deliverKey, options: { verifications } } = ctx;
  const { state, config } = ctx.deps;

  /**
   * Upstream's blocking service: an account asking for code after code (a stolen key pumping SMS, say) is
   * blocked once it has asked for GATEHOUSE_FLEXISIP_BLOCKING_EVENTS within the period, until an admin
   * unblocks it. A change to the account within the period counts as one event, as upstream counts it.
   * One atomic increment in shared state, so the count holds across nodes and concurrent requests.
   */
  async function refuseWhenBlockable(account: SipAccount): Promise<void> {
    const { blockingEvents, blockingPeriodMs } = config.flexisip;
    if (blockingEvents === 0) return;
    const asked = await state.increment(`flexisip:code-requests:${account.id}`, blockingPeriodMs);
    const recentChange = account.updatedAt > now() - blockingPeriodMs ? 1 : 0;
    if (asked - 1 + recentChange < blockingEvents) return;
    await accounts.setFlags(account.id, { blocked: true });
    throw forbidden('Account blocked');
  }

  async function me(caller: Caller): Promise<AccountAnswer> {
    return answer(await self(caller));
  }

  async function provisionMe(caller: Caller): Promise<AccountAnswer> {
    return answer(await accounts.provision((await self(caller)).id));
  }

  async function deleteMe(caller: Caller): Promise<void> {
    await accounts.remove(await self(caller));
  }

  async function changePassword(caller: Caller, input: { algorithm?: string; old_password?: string; password?: string }): Promise<AccountAnswer> {
    const account = await self(caller);
    const p = new Problems();
    const algorithmOk = checkAlgorithm(p, input.algorithm);
    checkPassword(p, input.password);
    if (account.algorithms.length > 0) {
      if (!input.old_password) p.add('old_password', 'The old password field is required.');
      else if (!(await accounts.checkPassword(account, input.old_password))) p.add('old_password', 'The old password is incorrect.');
    }
    p.check();
    if (!algorithmOk) throw new Error('unreachable');
    await accounts.setPassword(account, input.password!, input.algorithm as DigestAlgorithm);
    return answer(await accounts.mustById(account.id));
  }

  async function requestEmailChange(caller: Caller, email: string | undefined): Promise<void> {
    const account = await self(caller);
    const p = new Problems();
    checkEmail(p, email, true);
    // Upstream refuses the address the account already has (a change to nothing).
    if (!p.has('email') && account.email !== null && email!.toLowerCase() === account.email.toLowerCase()) p.add('email', 'The email is already the account\'s email.');
    await checkUnique(p, account.domain, { email }, account.id);
    p.check();
    await refuseWhenBlockable(account);
    const code = randomString('0123456789', 6);
    await putPending(account.id, 'email', email!.toLowerCase(), { code_hash: hashCode(account.id, code), request_id: null });
    await deliverKey({ ...account, email: email! }, 'email', code, 'email change');
  }

  async function confirmEmailChange(caller: Caller, code: string | undefined): Promise<AccountAnswer> {
    const account = await self(caller);
    if (!code) refuse('code', 'The code field is required.');
    const pending = await db.selectFrom('sip_pending_changes').selectAll().where('account_id', '=', account.id).where('kind', '=', 'email').executeTakeFirst();
    if (!pending || Number(pending.expires_at) <= now() || Number(pending.attempts) >= EMAIL_CHANGE_ATTEMPTS) throw notFound('email change request');
    if (pending.code_hash !== hashCode(account.id, code)) {
      await db.updateTable('sip_pending_changes').set({ attempts: Number(pending.attempts) + 1 }).where('account_id', '=', account.id).where('kind', '=', 'email').execute();
      refuse('code', 'The code is incorrect.');
    }
    await db.deleteFrom('sip_pending_changes').where('account_id', '=', account.id).where('kind', '=', 'email').execute();
    const p = new Problems();
    await checkUnique(p, account.domain, { email: pending.value }, account.id);
    p.check();
    // As upstream: a confirmed address proves the owner, so the account is activated too.
    await db.updateTable('accounts').set({ email: pending.value, activated: 1, updated_at: now() }).where('id', '=', account.id).execute();
    return answer(await accounts.mustById(account.id));
  }

  /** The caller's tenant as a one-time-code client: phone codes run through the Smart 2FA core. */
  const tenantCaller = (caller: Caller): Caller => ({ ...caller, accountId: null, role: 'tenant' });

  async function requestPhoneChange(caller: Caller, phone: string | undefined): Promise<void> {
    const account = await self(caller);
    const p = new Problems();
    checkPhone(p, phone, true);
    p.check();
    await refuseWhenBlockable(account);
    const { requestId } = await verifications.send(tenantCaller(caller), {
      service: PHONE_SERVICE,
      from: '',
      to: phone!,
      body: `Your ${account.domain} code is {code}`,
      length: 4,
      timeout: 600,
    }).catch((err: unknown) => {
      // The fraud guard refuses the number itself: upstream's 422 on the phone field, in its words.
      if (err instanceof GatehouseError && err.code === FraudErrors.numberRefused) refuse('phone', `The phone cannot receive a code: ${err.message}.`);
      throw err;
    });
    await putPending(account.id, 'phone', phone!, { code_hash: null, request_id: requestId });
  }

  async function confirmPhoneChange(caller: Caller, code: string | undefined): Promise<AccountAnswer> {
    const account = await self(caller);
    if (!code) refuse('code', 'The code field is required.');
    if (!/^\d{4,10}$/.test(code)) refuse('code', 'The code must be digits.');
    const pending = await db.selectFrom('sip_pending_changes').selectAll().where('account_id', '=', account.id).where('kind', '=', 'phone').executeTakeFirst();
    if (!pending || !pending.request_id) throw notFound('phone change request');
    try {
      await verifications.verify(tenantCaller(caller), { requestId: pending.request_id, code });
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== CommonErrors.validation) refuse('code', err.message === 'Invalid OTP Code' ? 'The code is incorrect.' : `The code cannot be used: ${err.message}.`);
      throw err;
    }
    await db.deleteFrom('sip_pending_changes').where('account_id', '=', account.id).where('kind', '=', 'phone').execute();
    await db.updateTable('accounts').set({ phone: pending.value, activated: 1, updated_at: now() }).where('id', '=', account.id).execute();
    return answer(await accounts.mustById(account.id));
  }

  async function putPending(accountId: number, kind: 'email' | 'phone', value: string, fields: { code_hash: string | null; request_id: string | null }) {
    const at = now();
    const row = { value, ...fields, attempts: 0, expires_at: at + EMAIL_CODE_TTL_MS, updated_at: at };
    await db
      .insertInto('sip_pending_changes')
      .values({ account_id: accountId, kind, ...row, created_at: at })
      .onConflict((oc) => oc.columns(['account_id', 'kind']).doUpdateSet(row))
      .execute();
  }

  const hashCode = (accountId: number, code: string) => sha256Hex(`email_change:${accountId}:${code}`);

  async function myDevices(caller: Caller) {
    return devices.list((await self(caller)).id);
  }

  async function removeMyDevice(caller: Caller, uuid: string) {
    await devices.remove(await self(caller), uuid);
  }

  return { me, provisionMe, deleteMe, changePassword, requestEmailChange, confirmEmailChange, requestPhoneChange, confirmPhoneChange, myDevices, removeMyDevice };
}
