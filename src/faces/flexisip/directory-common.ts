/** Shapes shared by the directory sections (contacts, lists, types, actions) of the Flexisip face. */
import { Type } from '@sinclair/typebox';
import type { SipAccountRef } from '../../core/sip-directory/access.js';

const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });

/** A contact is an account, with the fields the upstream project selects for contacts. */
export const Contact = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  domain: Type.String(),
  activated: Type.Boolean(),
  dtmf_protocol: Type.Union([Type.String(), Type.Null()]),
  display_name: Type.Union([Type.String(), Type.Null()]),
});

export const contactJson = (c: SipAccountRef) => ({
  id: c.id,
  username: c.username,
  domain: c.domain,
  activated: c.activated,
  dtmf_protocol: c.dtmfProtocol,
  display_name: c.displayName,
});

/** What an attach or detach answers: nothing to show. */
export const Done = Type.Object({});

export const AccountContactParams = Type.Object({ id: Id, contact_id: Id });
export const ListParams = Type.Object({ id: Id });
export const ListContactParams = Type.Object({ id: Id, contact_id: Id });
export const AccountListParams = Type.Object({ id: Id, contacts_list_id: Id });
export const AccountTypeParams = Type.Object({ id: Id, type_id: Id });
export const ActionParams = Type.Object({ id: Id, action_id: Id });
export const SipParams = Type.Object({ sip: Type.String({ minLength: 3, maxLength: 400 }) });
