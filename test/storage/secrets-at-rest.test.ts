import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { DIALECTS, skipDialect } from '../helpers/services.js';
import { apiKey, call, startTestServer } from '../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`secrets at rest on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    test('auth tokens, API keys, passwords and the JWT signing key cannot be read from the database', async () => {
      const server = await startTestServer(dialect);
      try {
        const admin = apiKey(server.admin.apiKey);
        const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'acme' } })).body;
        const password = 'Tr0ub4dor&3-horse';
        const account = (await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: tenant.sid, email: 'a@acme.test', password } })).body;
        const key = (await call(`${server.url}/admin/accounts/${account.id}/api-keys`, { headers: admin, json: {} })).body.apiKey;
        const secrets = [server.admin.apiKey, server.admin.tenant.authToken, tenant.authToken, key, password];

        const db = server.runtime.storage.db;
        const signing = await db.selectFrom('signing_keys').select('private_key').executeTakeFirstOrThrow();
        assert.match(signing.private_key, /^gh1:/, 'the signing key is sealed');
        assert.ok(!signing.private_key.includes('PRIVATE KEY'));
        const hash = await db.selectFrom('accounts').select('password_hash').where('id', '=', account.id).executeTakeFirstOrThrow();
        assert.match(hash.password_hash!, /^\$argon2id\$/);

        let dump: string;
        if (dialect === 'sqlite') {
          await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
          // Every byte of the database files, WAL included.
          const dir = server.database.dataDir;
          dump = readdirSync(dir).filter((f) => f.startsWith('gatehouse.db')).map((f) => readFileSync(path.join(dir, f)).toString('latin1')).join('');
        } else {
          const tables = ['tenants', 'auth_tokens', 'accounts', 'api_keys', 'signing_keys', 'shared_state', 'meta', 'outbox_messages'];
          const parts: string[] = [];
          for (const t of tables) parts.push(JSON.stringify((await sql.raw(`select * from ${t}`).execute(db)).rows));
          dump = parts.join('\n');
        }
        assert.ok(dump.length > 1000);
        for (const s of secrets) assert.ok(!dump.includes(s), 'a secret is stored in clear');
        assert.ok(!dump.includes('BEGIN PRIVATE KEY'));
      } finally {
        await server.close();
      }
    });
  });
}
