import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { challengeHeader, expectedResponse, ha1, parseDigest, readAnswer } from '../../../src/core/sip/digest.js';
import { NONCE_TTL_MS, createNonces } from '../../../src/core/sip/nonces.js';
import type { SharedState } from '../../../src/state/shared-state.js';

const vectors = JSON.parse(readFileSync(new URL('./rfc7616-vectors.json', import.meta.url), 'utf8'));

describe('RFC 7616 Digest', () => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    test(`the response of RFC 7616 section 3.9.1 with ${algorithm}`, () => {
      const h = ha1(algorithm, vectors.username, vectors.realm, vectors.password);
      const response = expectedResponse(algorithm, h, vectors.method, vectors);
      assert.equal(response, vectors.response[algorithm]);
    });
  }

  test('a Digest header as curl writes it parses into its answer', () => {
    const params = parseDigest(
      `username="Mufasa", realm="http-auth@example.org", nonce="${vectors.nonce}", uri="/dir/index.html", cnonce="${vectors.cnonce}", nc=00000001, qop=auth, response="${vectors.response.MD5}", opaque="${vectors.opaque}", algorithm=MD5`,
    );
    const answer = readAnswer(params!);
    assert.equal(typeof answer, 'object');
    assert.deepEqual(answer, {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      nonce: vectors.nonce,
      uri: '/dir/index.html',
      response: vectors.response.MD5,
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: vectors.cnonce,
      opaque: vectors.opaque,
    });
  });

  test('a quoted value may hold commas and escaped quotes; garbage is refused', () => {
    assert.equal(parseDigest('username="a\\"b,c", realm=x')!.username, 'a"b,c');
    assert.equal(parseDigest('username="unterminated'), null);
    assert.equal(readAnswer(parseDigest('username="a", realm="r"')!), 'nonce');
  });

  test('a challenge names realm, qop, algorithm, nonce and opaque', () => {
    assert.equal(
      challengeHeader({ realm: 'sip.example.org', algorithm: 'SHA-256', nonce: 'n', opaque: 'o' }),
      'Digest realm="sip.example.org",qop="auth",algorithm=SHA-256,nonce="n",opaque="o"',
    );
  });
});

function memoryState(): SharedState {
  const claimed = new Set<string>();
  return {
    backend: 'sql',
    claim: async (key) => (claimed.has(key) ? false : (claimed.add(key), true)),
    increment: async () => 1,
    count: async () => 0,
    release: async (key) => void claimed.delete(key),
    sweep: async () => {},
    ping: async () => {},
    close: async () => {},
  };
}

describe('Digest nonces', () => {
  const key = Buffer.alloc(32, 7);

  test('each nonce count is accepted once; another count of the same nonce is fresh', async () => {
    const nonces = createNonces(key, memoryState());
    const { nonce, opaque } = nonces.issue('sip.example.org');
    assert.equal(await nonces.check('sip.example.org', nonce, '00000001', opaque), 'ok');
    assert.equal(await nonces.check('sip.example.org', nonce, '00000001', opaque), 'replayed');
    assert.equal(await nonces.check('sip.example.org', nonce, '00000002', opaque), 'ok');
  });

  test('a nonce of another realm, another key, a forged one or a wrong opaque is invalid', async () => {
    const nonces = createNonces(key, memoryState());
    const { nonce, opaque } = nonces.issue('a.example.org');
    assert.equal(await nonces.check('b.example.org', nonce, '00000001', undefined), 'invalid');
    assert.equal(await createNonces(Buffer.alloc(32, 8), memoryState()).check('a.example.org', nonce, '00000001', opaque), 'invalid');
    // One character of the MAC changed (a fixed suffix would be no forgery for the 1 in 4,096 MACs that end in it).
    const forged = `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`;
    assert.notEqual(forged, nonce);
    assert.equal(await nonces.check('a.example.org', forged, '00000001', opaque), 'invalid');
    assert.equal(await nonces.check('a.example.org', nonce, '00000001', 'not-the-opaque'), 'invalid');
    assert.equal(await nonces.check('a.example.org', nonce, 'zz', opaque), 'invalid');
  });

  test('a nonce older than five minutes is stale', async () => {
    let t = Date.now();
    const nonces = createNonces(key, memoryState(), () => t);
    const { nonce, opaque } = nonces.issue('sip.example.org');
    t += NONCE_TTL_MS;
    assert.equal(await nonces.check('sip.example.org', nonce, '00000001', opaque), 'stale');
  });
});
