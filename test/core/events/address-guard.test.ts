/**
 * The SSRF rule of tenant webhooks, below HTTP: which addresses are refused, that every address a
 * name resolves to is checked, and that the check is made on the socket's own lookup, so a name
 * that resolves to a public address once and to loopback the next time (DNS rebinding) reaches
 * nothing the second time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lookup, UnsafeAddressError, classify, safeAddresses } from '../../../src/core/events/address-guard.js';
import { createPoster } from '../../../src/core/events/post.js';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';

describe('webhook address guard', () => {
  it('classifies loopback, private, link-local, metadata and reserved addresses, IPv4 inside IPv6 by its IPv4', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'],
      ['10.0.0.1', 'private'], ['10.255.255.255', 'private'], ['172.16.0.1', 'private'], ['172.31.255.1', 'private'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'],
      ['fd12:3456::1', 'private'], ['64:ff9b::a00:1', 'private'], ['2002:a00:1::', 'private'],
      ['169.254.169.254', 'metadata'], ['fd00:ec2::254', 'metadata'], ['100.100.100.200', 'metadata'], ['::ffff:169.254.169.254', 'metadata'],
      ['169.254.10.10', 'link-local'], ['fe80::1', 'link-local'],
      ['0.0.0.0', 'reserved'], ['::', 'reserved'], ['224.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'], ['ff02::1', 'reserved'],
      ['93.184.216.34', 'public'], ['8.8.8.8', 'public'], ['172.32.0.1', 'public'], ['2606:4700::1111', 'public'],
    ];
    for (const [address, kind] of cases) assert.equal(classify(address), kind, address);
  });

  it('refuses a name when any one of its addresses is not public, and allows it all under allowPrivate', async () => {
    const lookup: Lookup = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }];
    await assert.rejects(safeAddresses('mixed.example', false, lookup), (e: unknown) => e instanceof UnsafeAddressError && e.kind === 'private' && /10\.1\.2\.3/.test(e.message));
    assert.equal((await safeAddresses('mixed.example', true, lookup)).length, 2);
    await assert.rejects(safeAddresses('[::1]', false), UnsafeAddressError);
    await assert.rejects(safeAddresses('localhost', false), (e: unknown) => e instanceof UnsafeAddressError && e.kind === 'loopback');
  });

  describe('at delivery time, on the connection\'s own lookup', () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
    });
    after(() => receiver?.close());

    it('a name that rebinds from a public address to loopback between registration and delivery is refused and nothing is sent', async () => {
      let asked = 0;
      // First answer (the registration's check): public. Every later one: the receiver on loopback.
      const rebinding: Lookup = async () => (asked++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
      await safeAddresses('rebind.example', false, rebinding);
      const post = createPoster({ allowPrivate: false, caPem: receiver.ca, timeoutMs: 3000, lookup: rebinding });
      const before = receiver.received.length;
      const attempt = await post(`https://rebind.example:${receiver.port}/hook`, {}, '{}');
      assert.equal(attempt.status, null);
      assert.equal(attempt.refused, true);
      assert.match(attempt.error!, /rebind\.example resolves to 127\.0\.0\.1, which is a loopback address/);
      assert.equal(receiver.received.length, before, 'nothing reached the receiver');
      assert.ok(asked >= 2, 'the delivery resolved the name again');
    });

    it('the same poster reaches the receiver when the setting allows private addresses (the control)', async () => {
      const lookup: Lookup = async () => [{ address: '127.0.0.1', family: 4 }];
      const post = createPoster({ allowPrivate: true, caPem: receiver.ca, timeoutMs: 3000, lookup });
      // The certificate names localhost: the name, not the address, is what TLS checks.
      const attempt = await post(`https://localhost:${receiver.port}/hook`, {}, '{}');
      assert.equal(attempt.status, 204);
    });

    it('a literal loopback, private or metadata address is refused before any connection', async () => {
      const post = createPoster({ allowPrivate: false, caPem: receiver.ca, timeoutMs: 3000 });
      for (const host of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '[::1]']) {
        const a = await post(`https://${host}:${receiver.port}/hook`, {}, '{}');
        assert.equal(a.refused, true, host);
      }
    });

    it('an untrusted certificate is an error, not a delivery (only GATEHOUSE_WEBHOOKS_CA adds trust)', async () => {
      const post = createPoster({ allowPrivate: true, caPem: null, timeoutMs: 3000 });
      const a = await post(`${receiver.url}/hook`, {}, '{}');
      assert.equal(a.status, null);
      assert.match(a.error!, /self.signed/);
    });
  });
});
