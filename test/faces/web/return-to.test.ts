// The sign-in's return-to takes only this server's own paths: every way a browser could read another host is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeReturnTo } from '../../../src/faces/web/return-to.js';

test('own paths are kept, with their query', () => {
  assert.equal(safeReturnTo('/console'), '/console');
  assert.equal(safeReturnTo('/console/sdr?to=%2B1415&page=2'), '/console/sdr?to=%2B1415&page=2');
  assert.equal(safeReturnTo('/account/security'), '/account/security');
});

test('another host, in any spelling, is refused', () => {
  for (const evil of [
    '//evil.test', '//evil.test/console', '/\\evil.test', '\\\\evil.test', '/%2F%2Fevil.test', '/%2fevil.test', '%2F%2Fevil.test', '/%5Cevil.test', '/%5cevil.test',
    '/%252F%252Fevil.test', 'https://evil.test', 'http:/evil.test', 'javascript:alert(1)', '/\t/evil.test', '/\n/evil.test', ' //evil.test', 'evil.test', '',
  ]) {
    assert.equal(safeReturnTo(evil), null, evil);
  }
});

test('the sign-in pages themselves are no destination (no loop), and nothing but a string is taken', () => {
  assert.equal(safeReturnTo('/login'), null);
  assert.equal(safeReturnTo('/login?next=/console'), null);
  assert.equal(safeReturnTo('/logout'), null);
  assert.equal(safeReturnTo(undefined), null);
  assert.equal(safeReturnTo(['/console']), null);
  assert.equal(safeReturnTo(`/${'a'.repeat(600)}`), null);
});
