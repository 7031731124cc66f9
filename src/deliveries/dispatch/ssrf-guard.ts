import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';

interface Address {
  family: 4 | 6;
  value: bigint;
}

interface Network extends Address {
  prefix: number;
}

export interface AllowList {
  readonly networks: readonly Network[];
}

/** SPEC §6: loopback, private, link-local, multicast, reserved and documentation space, IPv4 and IPv6. */
const SPECIAL_PURPOSE = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
  '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32',
  // ::/96 (IPv4-compatible, deprecated) holds :: and ::1 too. 2001::/23 holds Teredo, whose IPv4 is obfuscated.
  '::/96', '100::/64', '2001::/23', '2001:db8::/32', '3fff::/20', 'fc00::/7', 'fe80::/10', 'ff00::/8',
].map(parseCidr);

/** Only global unicast IPv6 is ever a webhook target; the forms that carry an IPv4 are judged by it first. */
const GLOBAL_UNICAST = parseCidr('2000::/3');
const MAPPED = parseCidr('::ffff:0:0/96');
const NAT64 = parseCidr('64:ff9b::/96');
const NAT64_LOCAL = parseCidr('64:ff9b:1::/48');
const SIX_TO_FOUR = parseCidr('2002::/16');
const IPV4_MASK = 0xffff_ffffn;

/** Networks configured to be reachable although special (e.g. `127.0.0.1/32` for tests). */
export function parseAllowList(cidrs: string[]): AllowList {
  return { networks: cidrs.map(parseCidr) };
}

/** Unparseable counts as blocked: the guard fails closed. */
export function isBlockedAddress(ip: string, allowed: AllowList): boolean {
  const address = parseAddress(ip);
  return address === null || isBlocked(address, allowed);
}

function isBlocked(address: Address, allowed: AllowList): boolean {
  if (allowed.networks.some((network) => contains(network, address))) return false;
  const embedded = embeddedIPv4(address);
  // These IPv6 forms reach the IPv4 they carry, so a special-purpose IPv4 inside blocks them. The
  // allow-list opens exactly the networks written: an allowed 127.0.0.1/32 does not open
  // ::ffff:127.0.0.1, so an IPv6 spelling can never widen what the operator opened.
  if (embedded.length > 0) return embedded.some((value) => isSpecialPurpose({ family: 4, value }));
  return isSpecialPurpose(address);
}

function isSpecialPurpose(address: Address): boolean {
  if (address.family === 6 && !contains(GLOBAL_UNICAST, address)) return true;
  return SPECIAL_PURPOSE.some((network) => contains(network, address));
}

function embeddedIPv4(address: Address): bigint[] {
  const { value } = address;
  if (contains(MAPPED, address) || contains(NAT64, address)) return [value & IPV4_MASK];
  if (contains(SIX_TO_FOUR, address)) return [(value >> 80n) & IPV4_MASK];
  // RFC 6052 lets a local-use NAT64 prefix be /48, /56, /64 or /96; we cannot tell which, so every reading must pass.
  if (contains(NAT64_LOCAL, address)) return [48, 56, 64, 96].map((prefix) => rfc6052IPv4(value, prefix));
  return [];
}

function rfc6052IPv4(value: bigint, prefix: number): bigint {
  if (prefix === 96) return value & IPV4_MASK;
  // Bits 64-71 (the "u" octet) never carry address bits; drop them and read 32 bits after the prefix.
  const withoutU = ((value >> 72n) << 56n) | (value & ((1n << 56n) - 1n));
  return (withoutU >> BigInt(112 - prefix - 32)) & IPV4_MASK;
}

function contains(network: Network, address: Address): boolean {
  if (network.family !== address.family) return false;
  const hostBits = BigInt((address.family === 4 ? 32 : 128) - network.prefix);
  return network.value >> hostBits === address.value >> hostBits;
}

function parseCidr(cidr: string): Network {
  const [ip = '', prefixText = ''] = cidr.split('/');
  const address = parseAddress(ip);
  const prefix = Number(prefixText);
  if (!address || !/^\d{1,3}$/.test(prefixText) || prefix > (address.family === 4 ? 32 : 128)) {
    throw new Error(`not a CIDR network: ${cidr}`);
  }
  return { ...address, prefix };
}

function parseAddress(ip: string): Address | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // A zone (fe80::1%eth0) picks an interface, not a different address.
  const unzoned = bare.split('%')[0] ?? '';
  switch (isIP(unzoned)) {
    case 4:
      return { family: 4, value: ipv4Value(unzoned) };
    case 6:
      return { family: 6, value: ipv6Value(unzoned) };
    default:
      return null;
  }
}

function ipv4Value(ip: string): bigint {
  return ip.split('.').reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

/** Only for text `isIP` already accepted as IPv6. */
function ipv6Value(ip: string): bigint {
  const lastColon = ip.lastIndexOf(':');
  const tail = ip.slice(lastColon + 1);
  const hex = tail.includes('.') ? `${ip.slice(0, lastColon + 1)}${dottedAsGroups(tail)}` : ip;
  const [head = '', rest] = hex.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

function dottedAsGroups(ipv4: string): string {
  const value = ipv4Value(ipv4);
  return `${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
}

export type LookupAll = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface GuardedConnectorOptions {
  /** Tests inject answers here, e.g. a public address at validation and a private one at connect. */
  lookup?: LookupAll;
  connectTimeoutMs?: number;
}

class BlockedAddressError extends Error {
  readonly code = 'HOOKLEDGER_BLOCKED';

  constructor(address: string, hostname: string) {
    super(address === hostname ? `refused to connect to blocked address ${address}` : `refused to connect to ${hostname}: it resolves to blocked address ${address}`);
    this.name = 'BlockedAddressError';
  }
}

/**
 * An undici `connect` that resolves the host itself and connects to the very address it checked,
 * so a DNS answer that changes between check and connect (rebinding) cannot reach a blocked address.
 * A name is refused if any of its addresses is blocked, and otherwise connects to the first.
 */
export function createGuardedConnector(allowed: AllowList, options: GuardedConnectorOptions = {}): buildConnector.connector {
  const lookup = options.lookup ?? dnsLookup;
  const connectTo = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 });

  return (target, callback) => {
    const hostname = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    resolve(hostname, lookup)
      .then((addresses) => {
        const blocked = addresses.find((address) => isBlockedAddress(address, allowed));
        if (blocked !== undefined) throw new BlockedAddressError(blocked, hostname);
        const [first] = addresses;
        // The host name stays the TLS server name, so certificates are checked against it, not the IP.
        const servername = isIP(hostname) ? undefined : (target.servername ?? hostname);
        connectTo({ ...target, hostname: first, ...(servername ? { servername } : {}) }, callback);
      })
      .catch((error: Error) => callback(error, null));
  };
}

function resolve(hostname: string, lookup: LookupAll): Promise<[string, ...string[]]> {
  if (isIP(hostname) !== 0) return Promise.resolve([hostname]);
  return new Promise((done, fail) =>
    lookup(hostname, { all: true }, (error, addresses) => {
      if (error) return fail(error);
      const [first, ...others] = addresses.map((a) => a.address);
      if (first === undefined) fail(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      else done([first, ...others]);
    }),
  );
}
