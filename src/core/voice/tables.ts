/** The voice tables (migration 0007_voice): Twilio accounts of tenants, numbers, phone lines, call records. */
import type { Generated } from 'kysely';

/** A tenant that brings its own Twilio account; its secrets are sealed with the master key. */
export interface VoiceTwilioAccountTable {
  tenant_id: number;
  /** AC… of the tenant's Twilio account; unique, since a webhook names its account by this SID. */
  account_sid: string;
  /** Sealed (context "twilio_auth_token:<tenant_id>"): checks the signature of this account's webhooks. */
  auth_token: string;
  api_key_sid: string | null;
  /** Sealed (context "twilio_api_key_secret:<tenant_id>"): signs the Access Tokens of this tenant's agents. */
  api_key_secret: string | null;
  twiml_app_sid: string | null;
  updated_at: number;
}

/** A number of the deployment's Twilio account that an admin gave to a tenant. */
export interface VoiceNumberAssignmentTable {
  phone_number: string;
  tenant_id: number;
  created_at: number;
}

export interface PhoneLineTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  /** E.164; unique across every line, since an incoming call finds its line by the number called. */
  phone_number: string;
  /** JSON: {"type":"say",text,language?,voice?} | {"type":"play",url} | {"type":"none"}. */
  greeting: string;
  ring_timeout: number;
  /** JSON: {"type":"voicemail",text?,maxLength} | {"type":"forward",number} | {"type":"message",text}. */
  fallback: string;
  created_at: number;
  updated_at: number;
}

export interface PhoneLineAgentTable {
  line_id: number;
  account_id: number;
}

export interface CallRecordTable {
  id: Generated<number>;
  call_sid: string;
  tenant_id: number;
  /** inbound or outbound. */
  direction: string;
  from: string;
  to: string;
  /** No foreign key: a record outlives its line and keeps the line's name. */
  line_id: number | null;
  line_name: string | null;
  agent_id: number | null;
  status: string;
  /** How far the call got (queued 0 … ended 3): an event never moves a record back. */
  status_rank: number;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  duration: number | null;
  price: string | null;
  price_unit: string | null;
  error_code: string | null;
  error_url: string | null;
  recording_url: string | null;
  created_at: number;
  updated_at: number;
}

/** Each status a call reported, once: a repeated callback adds nothing. */
export interface CallEventTable {
  id: Generated<number>;
  call_sid: string;
  tenant_id: number;
  status: string;
  created_at: number;
}

export interface VoiceTables {
  voice_twilio_accounts: VoiceTwilioAccountTable;
  voice_number_assignments: VoiceNumberAssignmentTable;
  phone_lines: PhoneLineTable;
  phone_line_agents: PhoneLineAgentTable;
  call_records: CallRecordTable;
  call_events: CallEventTable;
}
