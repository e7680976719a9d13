/**
 * Which peers may speak for a client (`--trusted-proxies`), and the client address they
 * name: the PROXY protocol header on TCP (proxy-protocol.ts), X-Forwarded-For on the
 * WebSocket upgrade. Anyone can write either; only a configured proxy is believed.
 */
import { BlockList, isIP } from 'node:net';

/** How far into X-Forwarded-For we look: a chain of proxies is short; a header is not. */
const MAX_FORWARDED_HOPS = 32;

export class TrustedProxies {
  readonly #list = new BlockList();
  readonly size: number;

  /** `entries`: IP addresses and CIDR blocks, already checked by resolveConfig. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
    this.size = entries.length;
  }

  /** True when `ip` (as node:net reports it; IPv4-mapped IPv6 matches IPv4 entries) is a trusted proxy. */
  has(ip: string | undefined): boolean {
    if (this.size === 0 || ip === undefined) return false;
    const version = isIP(ip);
    return version !== 0 && this.#list.check(ip, version === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client address of an HTTP request from `peer`. Only a trusted peer's
   * X-Forwarded-For counts, and in it the rightmost address that is not itself a trusted
   * proxy: every hop appends the address it saw, so entries left of the first untrusted hop
   * (walking from the right) were written by someone we do not trust and may be forged.
   */
  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string {
    if (forwardedFor === undefined || !this.has(peer)) return peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    let client = peer;
    for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_FORWARDED_HOPS; i--, seen++) {
      const hop = normalizeHop(hops[i]!);
      // Garbage where an address belongs: stop at the last hop we could read.
      if (hop === null) return client;
      client = hop;
      if (!this.has(hop)) return hop;
    }
    return client;
  }
}

/** "203.0.113.7", " 203.0.113.7:5123", "[2001:db8::1]:443", "2001:db8::1" → the address; else null. */
function normalizeHop(raw: string): string | null {
  let hop = raw.trim();
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    if (end === -1) return null;
    hop = hop.slice(1, end);
  } else if (hop.includes('.') && hop.includes(':') && hop.indexOf(':') === hop.lastIndexOf(':')) {
    hop = hop.slice(0, hop.indexOf(':'));
  }
  return isIP(hop) === 0 ? null : hop;
}
