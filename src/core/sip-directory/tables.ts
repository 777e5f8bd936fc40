/** The SIP directory's and statistics' tables (migration 0006_flexisip_directory). */
import type { Generated } from 'kysely';

export interface SipContactTable {
  account_id: number;
  contact_id: number;
  created_at: number;
}

export interface SipContactsListTable {
  id: Generated<number>;
  /** Lists belong to a tenant: its admins see and attach them. */
  tenant_id: number;
  title: string;
  description: string;
  created_at: number;
  updated_at: number;
}

export interface SipContactsListContactTable {
  contacts_list_id: number;
  contact_id: number;
}

export interface SipAccountContactsListTable {
  account_id: number;
  contacts_list_id: number;
}

export interface SipAccountActionTable {
  id: Generated<number>;
  account_id: number;
  key: string;
  code: string;
  created_at: number;
  updated_at: number;
}

export interface SipAccountTypeTable {
  id: Generated<number>;
  tenant_id: number;
  key: string;
  created_at: number;
  updated_at: number;
}

export interface SipAccountAccountTypeTable {
  account_id: number;
  account_type_id: number;
}

export interface SipStatisticsMessageTable {
  id: string;
  tenant_id: number;
  from_username: string;
  from_domain: string;
  /** The sender's account when it is one of ours: deleting the account deletes its statistics. */
  from_account_id: number | null;
  sent_at: number;
  encrypted: number;
  conference_id: string | null;
  created_at: number;
}

export interface SipStatisticsMessageDeviceTable {
  message_id: string;
  to_username: string;
  to_domain: string;
  device_id: string;
  last_status: number;
  received_at: number;
  updated_at: number;
}

export interface SipStatisticsCallTable {
  id: string;
  tenant_id: number;
  from_username: string;
  from_domain: string;
  from_account_id: number | null;
  to_username: string;
  to_domain: string;
  initiated_at: number;
  ended_at: number | null;
  conference_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SipStatisticsCallDeviceTable {
  call_id: string;
  device_id: string;
  rang_at: number | null;
  invite_terminated_at: number | null;
  invite_terminated_state: string | null;
  updated_at: number;
}

export interface SipDirectoryTables {
  sip_contacts: SipContactTable;
  sip_contacts_lists: SipContactsListTable;
  sip_contacts_list_contacts: SipContactsListContactTable;
  sip_account_contacts_lists: SipAccountContactsListTable;
  sip_account_actions: SipAccountActionTable;
  sip_account_types: SipAccountTypeTable;
  sip_account_account_types: SipAccountAccountTypeTable;
  sip_statistics_messages: SipStatisticsMessageTable;
  sip_statistics_message_devices: SipStatisticsMessageDeviceTable;
  sip_statistics_calls: SipStatisticsCallTable;
  sip_statistics_call_devices: SipStatisticsCallDeviceTable;
}
