/** The country a SQLite send counts itself under equals the one PostgreSQL's trigger computes in SQL (migration 0025's countrySql). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { usageCountry } from '../../../src/core/verifications/calling-code.js';
import { countrySql } from '../../../src/storage/migrations/0025_growth.js';

test('usageCountry answers as countrySql for every kind of destination', () => {
  const db = new Database(':memory:');
  const inSql = db.prepare(`select ${countrySql('v')} as country from (select ? as channel, ? as "to") v`);
  const cases: Array<[string, string]> = [
    ['email', 'a@example.com'], ['email', '+14155550100'], ['sms', '+14155550100'], ['call', '+79161234567'], ['sms', '+447700900123'],
    ['sms', '+2125550000'], ['sms', '+919960639903'], ['sms', '+35312345678'], ['sms', '+2'], ['sms', '+'], ['sms', '4155550100'], ['call', ''],
    ['sms', '+20123'], ['sms', '+21'], ['sms', '+999999'], ['sms', '+8'], ['sms', '+86'],
  ];
  for (let d = 0; d < 1000; d++) cases.push(['sms', `+${d}5550100`]);
  for (const [channel, to] of cases) assert.equal(usageCountry(channel, to), (inSql.get(channel, to) as { country: string }).country, `${channel} ${to}`);
});
