/**
 * The SSRF rule of tenant webhooks: a webhook URL is https, and every address its host resolves to
 * must be a public one: not loopback, private (RFC 1918, CGNAT, IPv6 ULA), link-local (where cloud
 * metadata services live: 169.254.169.254, fd00:ec2::254), multicast or reserved. IPv4 written inside
 * IPv6 (::ffff:a.b.c.d, 64:ff9b::/96 NAT64, 2002::/16 6to4) is judged by the IPv4 it carries.
 *
 * Checked at registration and again at every delivery, after DNS resolution, on the very addresses
 * the connection then uses (guardedLookup is the socket's lookup): a name that resolved to a public
 * address when registered and to 127.0.0.1 now (DNS rebinding) is refused before anything is sent.
 * GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE lifts the rule for tests and closed networks.
 */
import { type LookupAddress, lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'reserved';

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

function list(entries: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const b = new BlockList();
  for (const [net, prefix, type] of entries) b.addSubnet(net, prefix, type);
  return b;
}

const V4: Array<[AddressClass, BlockList]> = [
  ['loopback', list([['127.0.0.0', 8, 'ipv4']])],
  ['private', list([['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4']])],
  ['link-local', list([['169.254.0.0', 16, 'ipv4']])],
  // "This network", IETF protocol assignments, benchmarking, documentation, multicast, reserved, broadcast.
  ['reserved', list([['0.0.0.0', 8, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['192.0.2.0', 24, 'ipv4'], ['198.18.0.0', 15, 'ipv4'], ['198.51.100.0', 24, 'ipv4'], ['203.0.113.0', 24, 'ipv4'], ['224.0.0.0', 4, 'ipv4'], ['240.0.0.0', 4, 'ipv4']])],
];

const V6: Array<[AddressClass, BlockList]> = [
  ['loopback', list([['::1', 128, 'ipv6']])],
  ['private', list([['fc00::', 7, 'ipv6']])],
  ['link-local', list([['fe80::', 10, 'ipv6']])],
  ['reserved', list([['::', 128, 'ipv6'], ['ff00::', 8, 'ipv6'], ['2001:db8::', 32, 'ipv6'], ['100::', 64, 'ipv6']])],
];

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 allowed). */
function groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16));
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), or null. */
function embeddedV4(g: number[]): string | null {
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4Of(g[1]!, g[2]!);
  return null;
}

export function classify(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) {
    if (METADATA.has(address)) return 'metadata';
    return V4.find(([, b]) => b.check(address, 'ipv4'))?.[0] ?? 'public';
  }
  if (family !== 6) return 'reserved';
  const g = groups(address);
  const inner = embeddedV4(g);
  if (inner) return classify(inner);
  const canonical = g.map((x) => x.toString(16)).join(':');
  if (METADATA.has(canonical.replace(/(^|:)0(:0)+(:|$)/, '::'))) return 'metadata';
  return V6.find(([, b]) => b.check(canonical, 'ipv6'))?.[0] ?? 'public';
}

/** A webhook host that is, or resolves to, an address the rule refuses. */
export class UnsafeAddressError extends Error {
  constructor(readonly host: string, readonly address: string, readonly kind: AddressClass) {
    super(`${host} ${host === address ? 'is' : `resolves to ${address}, which is`} a ${kind} address`);
    this.name = 'UnsafeAddressError';
  }
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

/** Every address of a host, as the operating system's resolver answers (what a connection would use). */
export const systemLookup: Lookup = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** The host's addresses when every one is allowed; throws UnsafeAddressError naming the first that is not. */
export async function safeAddresses(host: string, allowPrivate: boolean, lookup: Lookup = systemLookup): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  const addresses = family ? [{ address: bare, family }] : await lookup(bare);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  if (!allowPrivate) {
    for (const a of addresses) {
      const kind = classify(a.address);
      if (kind !== 'public') throw new UnsafeAddressError(bare, a.address, kind);
    }
  }
  return addresses;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for https.request: resolves, checks every address, and hands the socket only checked
 * addresses, so what is checked is what is connected to (no second resolution in between).
 */
export function guardedLookup(allowPrivate: boolean, lookup: Lookup = systemLookup) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    safeAddresses(hostname, allowPrivate, lookup).then(
      (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family)),
      (err: Error) => callback(err, ''),
    );
  };
}
