/** The JSON body of account creation and update: types here, the spec's rules in core (422 with every field). */
import { Type } from '@sinclair/typebox';

const Text = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));

export const AccountBody = Type.Object({
  username: Text(200),
  password: Text(200),
  algorithm: Text(20),
  domain: Text(253),
  email: Text(320),
  phone: Text(40),
  display_name: Text(200),
  dtmf_protocol: Text(20),
  admin: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  activated: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  dictionary: Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 191 }), Type.String({ maxLength: 10000 })), Type.Null()])),
  confirmation_key_expires: Text(40),
  account_creation_token: Text(300),
});
