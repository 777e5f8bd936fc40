/**
 * The one ordered list of migrations, for both dialects. Kept in code (not read from a folder) so
 * that the same list runs from src/ under tsx and from dist/ after a build. Append, never edit.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_verifications.js';
import * as m0003 from './0003_twofactor.js';
import * as m0004 from './0004_login.js';
import * as m0005 from './0005_flexisip.js';
import * as m0006 from './0006_flexisip_directory.js';
import * as m0007 from './0007_voice.js';
import * as m0008 from './0008_roles.js';
import * as m0009 from './0009_wire.js';
import * as m0010 from './0010_web.js';
import * as m0011 from './0011_perf.js';
import * as m0012 from './0012_send_to_outbox.js';
import * as m0013 from './0013_domain_owner.js';
import * as m0014 from './0014_server_secrets.js';
import * as m0015 from './0015_token_grantor_expiry.js';
import * as m0017 from './0017_sip_tombstones.js';
import * as m0018 from './0018_pending_change_times.js';
import * as m0019 from './0019_delivery_queue.js';
import * as m0020 from './0020_fraud_guard.js';
import * as m0021 from './0021_webhooks.js';
import * as m0022 from './0022_passkeys.js';
import * as m0023 from './0023_credential_inventory.js';
import * as m0024 from './0024_admin_changes.js';
import * as m0025 from './0025_growth.js';
import * as m0027 from './0027_delivery_followups.js';
import * as m0028 from './0028_expiry_index.js';
import * as m0029 from './0029_sqlite_send_counts.js';
import * as m0030 from './0030_sqlite_status_counts.js';

const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_verifications': m0002,
  '0003_twofactor': m0003,
  '0004_login': m0004,
  '0005_flexisip': m0005,
  '0006_flexisip_directory': m0006,
  '0007_voice': m0007,
  '0008_roles': m0008,
  '0009_wire': m0009,
  '0010_web': m0010,
  '0011_perf': m0011,
  '0012_send_to_outbox': m0012,
  '0013_domain_owner': m0013,
  '0014_server_secrets': m0014,
  '0015_token_grantor_expiry': m0015,
  '0017_sip_tombstones': m0017,
  '0018_pending_change_times': m0018,
  '0019_delivery_queue': m0019,
  '0020_fraud_guard': m0020,
  '0021_webhooks': m0021,
  '0022_passkeys': m0022,
  '0023_credential_inventory': m0023,
  '0024_admin_changes': m0024,
  '0025_growth': m0025,
  '0027_delivery_followups': m0027,
  '0028_expiry_index': m0028,
  '0029_sqlite_send_counts': m0029,
  '0030_sqlite_status_counts': m0030,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
