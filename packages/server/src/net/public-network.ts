import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { invalidField } from '../errors.js';

/**
 * Where an upstream that a tenant's admin added through the API may be reached: only on the public
 * internet. Otherwise an admin could point an "LLM provider" or an "MCP server" at the node's own
 * network (its database, a cloud metadata endpoint, another tenant's services) and have Warden send
 * requests there and pass the answers back: server-side request forgery. The operator's own files
 * are trusted; so is any upstream when the operator says the node's network is theirs to give
 * (`WARDEN_API_UPSTREAM_NETWORKS=any`).
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address is on a private, local or otherwise non-public network. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1, 64:ff9b::10.0.0.1) is checked as IPv4.
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (embedded) return PRIVATE.check(embedded[1] as string, 'ipv4');
  const mapped = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (mapped) {
    const high = Number.parseInt(mapped[1] as string, 16);
    const low = Number.parseInt(mapped[2] as string, 16);
    return PRIVATE.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  return PRIVATE.check(address, 'ipv6');
}

/** Refused before a byte is sent: the upstream is on a network API-added upstreams may not reach. */
export class PrivateNetworkRefused extends Error {
  readonly code = 'EPRIVATENETWORK';
  constructor(host: string, address: string) {
    super(
      `${host} is on a private network (${address}); upstreams added through the API must be public (the operator may allow this with WARDEN_API_UPSTREAM_NETWORKS=any)`,
    );
  }
}

/**
 * The host of a URL when it is an IP address on a private network, or `localhost`: an entry naming
 * one is refused at once. A name that resolves there is refused when connecting (publicFetch).
 */
export function privateHostOf(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return host;
  return isIP(host) !== 0 && isPrivateAddress(host) ? host : undefined;
}

/**
 * Refuses, naming `field`, an upstream added through the API whose URL names a private host, when
 * the node keeps such upstreams public; `what` says which (`providers`, `servers`).
 */
export function refusePrivateHost(url: string, field: string, what: string): void {
  const host = privateHostOf(url);
  if (host) {
    throw invalidField(
      field,
      `${host} is on a private network; ${what} added through the API must be public (the operator may allow this with WARDEN_API_UPSTREAM_NETWORKS=any)`,
    );
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup, refusing a name any of whose addresses is private (no mixing public and private). */
function publicLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) return callback(new PrivateNetworkRefused(hostname, blocked.address), []);
    const all = (options as { all?: boolean }).all === true;
    const first = addresses[0] as LookupAddress;
    return all ? callback(null, addresses) : callback(null, first.address, first.family);
  });
}

const connect = buildConnector({ lookup: publicLookup } as Parameters<typeof buildConnector>[0]);

/**
 * Connections to public addresses only, checked when connecting (after DNS, so a name that points
 * somewhere else by the time of the request is caught too: no DNS rebinding), on every redirect.
 */
export const publicAgent = new Agent({
  connect(options, callback) {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && isPrivateAddress(host)) {
      callback(new PrivateNetworkRefused(host, host), null);
      return;
    }
    connect(options, callback);
  },
});

/** `fetch` for upstreams added through the API: public addresses only. */
export const publicFetch: typeof fetch = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as Parameters<typeof undiciFetch>[1]),
    dispatcher: publicAgent,
  }) as unknown as Promise<Response>;
