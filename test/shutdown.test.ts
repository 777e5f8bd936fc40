import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { openStorage } from '../src/storage/storage.js';
import { DIALECTS, createTestDatabase, skipDialect } from './helpers/services.js';
import { bootstrapCredentials, startServerProcess } from './helpers/process.js';

for (const dialect of DIALECTS) {
  describe(`SIGTERM on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    test('under load, every acknowledged write is stored and the process exits 0', async () => {
      const db = await createTestDatabase(dialect);
      const env = { DATABASE_URL: db.url, GATEHOUSE_DATA_DIR: db.dataDir };
      const server = await startServerProcess(env);
      const key = bootstrapCredentials(db.dataDir).apiKey;
      const acknowledged: string[] = [];
      let refused = 0;
      let running = true;
      // 20 clients creating tenants as fast as they can until the server goes away.
      const clients = Array.from({ length: 20 }, async (_, c) => {
        for (let i = 0; running; i++) {
          try {
            const res = await fetch(`${server.url}/admin/tenants`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': key },
              body: JSON.stringify({ name: `load-${c}-${i}` }),
            });
            const body = (await res.json()) as { sid?: string };
            if (res.status === 201 && body.sid) acknowledged.push(body.sid);
            else refused++;
          } catch {
            running = false; // connection refused: the server has stopped listening
          }
        }
      });
      await new Promise((r) => setTimeout(r, 700));
      const code = await server.stop('SIGTERM');
      running = false;
      await Promise.all(clients);
      assert.equal(code, 0);
      assert.ok(acknowledged.length > 20, `load was applied (${acknowledged.length} acknowledged)`);

      const storage = openStorage(loadConfig(env).database);
      try {
        const rows = await storage.db.selectFrom('tenants').select('sid').execute();
        const stored = new Set(rows.map((r) => r.sid));
        const lost = acknowledged.filter((sid) => !stored.has(sid));
        assert.deepEqual(lost, [], 'no acknowledged tenant is missing');
      } finally {
        await storage.close();
        await db.drop();
      }
    });
  });
}
