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
  // Checked in core, so that a bad entry is a 422 on `dictionary` itself, as upstream answers.
  dictionary: Type.Optional(Type.Unsafe<Record<string, string> | null>({ description: 'an object of strings: keys up to 191 characters, values up to 10000' })),
  confirmation_key_expires: Text(40),
  account_creation_token: Text(300),
});
