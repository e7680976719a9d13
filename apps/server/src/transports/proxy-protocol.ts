/**
 * PROXY protocol (HAProxy's spec, versions 1 and 2) header parser: a load balancer in front
 * of the TCP listener prepends one header to each connection saying who the client really
 * is, so the session's `ip` and the per-IP limit use the client's address, not the proxy's.
 * Pure: Buffers in, a result out; no sockets, no timers.
 *
 *   chunk ─▶ copy at most the bytes a header can take into #head (≤ 232) ─▶ state:
 *     Detect   first byte 0x0D → V2, 'P' → V1, anything else → error (no header)
 *     V1       "PROXY " prefix, then a line ending in CRLF within 107 bytes (spec §2.1)
 *     V2       12-byte signature, ver/cmd, family, length; 16 + length ≤ 232 (spec §2.2)
 *   complete ─▶ { header, rest }: `rest` is a view of the chunk past the header, for the
 *               line decoder (no copy; the header's own bytes were the only ones copied)
 *
 * Limits are checked before waiting for more bytes, so a peer can make us hold at most
 * 232 bytes. Only use this for connections from a configured trusted proxy: from anyone
 * else a header is a lie a client can tell (the transports decide; see tcp.ts).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Spec §2.1: "a 108-byte buffer is always enough to store all the line and a trailing zero". */
export const MAX_V1_HEADER_BYTES = 107;
/** Spec §2.2: 16 fixed bytes + the largest address block (two AF_UNIX paths, 216 bytes). */
export const MAX_V2_HEADER_BYTES = 232;

/** Spec §2.2: "\r\n\r\n\0\r\nQUIT\n". */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED_BYTES = 16;
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/** Stable codes for the ways a header can be wrong; the message is for logs only. */
export const ProxyProtocolErrorCodes = {
  PROXY_HEADER_MISSING: 'the connection did not start with a PROXY protocol header',
  PROXY_HEADER_TOO_LONG: 'the PROXY protocol header exceeds its maximum length',
  PROXY_HEADER_INVALID: 'the PROXY protocol header is malformed',
  PROXY_HEADER_UNSUPPORTED: 'the PROXY protocol version or command is not supported',
} as const;

export type ProxyProtocolErrorCode = keyof typeof ProxyProtocolErrorCodes;

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * `proxy`: relayed for a client, `source` is that client. `local`: the proxy speaking for
   * itself (v2 LOCAL, e.g. a health check) or a family we do not relay (v1 UNKNOWN, v2
   * UNSPEC/UNIX/UDP): the spec says to use the connection's real endpoints then.
   */
  readonly command: 'proxy' | 'local';
  readonly source: ProxyEndpoint | null;
  readonly destination: ProxyEndpoint | null;
}

export type ProxyParseResult =
  | { readonly ok: true; readonly header: ProxyHeader; readonly rest: Buffer }
  | { readonly ok: false; readonly code: ProxyProtocolErrorCode; readonly message: string };

/** Parser states (numeric, like ws's receiver). */
const DETECT = 0;
const V1 = 1;
const V2 = 2;
const DONE = 3;

/**
 * One parser per connection. Feed it the socket's chunks until it returns a result:
 * `undefined` means "need more bytes"; after a result, push() must not be called again.
 */
export class ProxyHeaderParser {
  #state: number = DETECT;
  #head = Buffer.allocUnsafe(MAX_V2_HEADER_BYTES);
  #length = 0;

  /** Bytes held so far (never more than MAX_V2_HEADER_BYTES). */
  get bufferedBytes(): number {
    return this.#length;
  }

  push(chunk: Buffer): ProxyParseResult | undefined {
    if (this.#state === DONE) throw new Error('ProxyHeaderParser: push() after a result');
    const before = this.#length;
    const taken = Math.min(chunk.length, this.#head.length - before);
    chunk.copy(this.#head, before, 0, taken);
    this.#length += taken;
    const result = this.#parse();
    if (result === undefined) return undefined;
    this.#state = DONE;
    if (!result.ok) return result;
    // A header never completes inside an earlier chunk (we would have returned then), so
    // everything past it is in this one.
    return { ok: true, header: result.header, rest: chunk.subarray(result.used - before) };
  }

  #parse(): { ok: true; header: ProxyHeader; used: number } | Extract<ProxyParseResult, { ok: false }> | undefined {
    if (this.#state === DETECT) {
      const first = this.#head[0];
      if (first === CR) this.#state = V2;
      else if (first === V1_PREFIX[0]) this.#state = V1;
      else return fail('PROXY_HEADER_MISSING');
    }
    return this.#state === V1 ? this.#parseV1() : this.#parseV2();
  }

  // ── version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" (spec §2.1) ──────────

  #parseV1(): { ok: true; header: ProxyHeader; used: number } | Extract<ProxyParseResult, { ok: false }> | undefined {
    const head = this.#head.subarray(0, Math.min(this.#length, MAX_V1_HEADER_BYTES));
    const prefix = Math.min(head.length, V1_PREFIX.length);
    if (!head.subarray(0, prefix).equals(V1_PREFIX.subarray(0, prefix))) return fail('PROXY_HEADER_MISSING');
    const lf = head.indexOf(LF);
    if (lf === -1) return this.#length >= MAX_V1_HEADER_BYTES ? fail('PROXY_HEADER_TOO_LONG') : undefined;
    if (lf === 0 || head[lf - 1] !== CR) return fail('PROXY_HEADER_INVALID', 'v1 header must end in CRLF');
    const header = parseV1Line(head.toString('latin1', V1_PREFIX.length, lf - 1));
    if (header === null) return fail('PROXY_HEADER_INVALID', 'malformed v1 header');
    return { ok: true, header, used: lf + 1 };
  }

  // ── version 2: binary (spec §2.2) ─────────────────────────────────────────────────────

  #parseV2(): { ok: true; header: ProxyHeader; used: number } | Extract<ProxyParseResult, { ok: false }> | undefined {
    const head = this.#head;
    const signed = Math.min(this.#length, V2_SIGNATURE.length);
    if (!head.subarray(0, signed).equals(V2_SIGNATURE.subarray(0, signed))) return fail('PROXY_HEADER_MISSING');
    if (this.#length < V2_FIXED_BYTES) return undefined;
    const versionCommand = head[12]!;
    // "The highest four bits contains the version ... other values must be rejected";
    // commands other than LOCAL (0) and PROXY (1) "must be dropped".
    if (versionCommand >> 4 !== 2) return fail('PROXY_HEADER_UNSUPPORTED', `version ${versionCommand >> 4}`);
    const command = versionCommand & 0x0f;
    if (command > 1) return fail('PROXY_HEADER_UNSUPPORTED', `command ${command}`);
    const familyTransport = head[13]!;
    const length = head.readUInt16BE(14);
    const total = V2_FIXED_BYTES + length;
    if (total > MAX_V2_HEADER_BYTES) return fail('PROXY_HEADER_TOO_LONG', `v2 header of ${total} bytes`);
    if (this.#length < total) return undefined;
    const body = head.subarray(V2_FIXED_BYTES, total);
    if (command === 0) return { ok: true, header: localHeader(2), used: total };
    const family = familyTransport >> 4;
    const stream = (familyTransport & 0x0f) === 1;
    // AF_UNSPEC, AF_UNIX and UDP: nothing we can use as a client IP; take the real endpoints.
    if (!stream || (family !== 1 && family !== 2)) {
      if (family > 3 || (familyTransport & 0x0f) > 2) return fail('PROXY_HEADER_INVALID', 'unknown family');
      return { ok: true, header: localHeader(2), used: total };
    }
    const addressBytes = family === 1 ? 4 : 16;
    // "the receiver must ... the length must be at least the address block" (§2.2); TLVs may follow.
    if (body.length < addressBytes * 2 + 4) return fail('PROXY_HEADER_INVALID', 'address block shorter than its family');
    const format = family === 1 ? formatIPv4 : formatIPv6;
    const ports = addressBytes * 2;
    return {
      ok: true,
      header: {
        version: 2,
        command: 'proxy',
        source: { address: format(body.subarray(0, addressBytes)), port: body.readUInt16BE(ports) },
        destination: { address: format(body.subarray(addressBytes, ports)), port: body.readUInt16BE(ports + 2) },
      },
      used: total,
    };
  }
}

/** "TCP4 src dst sport dport" / "TCP6 …" / "UNKNOWN[ anything]"; null if malformed. */
function parseV1Line(line: string): ProxyHeader | null {
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) return localHeader(1);
  const parts = line.split(' ');
  if (parts.length !== 5) return null;
  const [protocol, source, destination, sourcePort, destinationPort] = parts as [string, string, string, string, string];
  const valid = protocol === 'TCP4' ? isIPv4 : protocol === 'TCP6' ? isIPv6 : null;
  if (valid === null || !valid(source) || !valid(destination)) return null;
  const sport = parsePort(sourcePort);
  const dport = parsePort(destinationPort);
  if (sport === null || dport === null) return null;
  return {
    version: 1,
    command: 'proxy',
    source: { address: source, port: sport },
    destination: { address: destination, port: dport },
  };
}

/** Spec §2.1: decimal 0–65535 without leading zeros. */
function parsePort(text: string): number | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

function localHeader(version: 1 | 2): ProxyHeader {
  return { version, command: 'local', source: null, destination: null };
}

function fail(code: ProxyProtocolErrorCode, detail?: string): Extract<ProxyParseResult, { ok: false }> {
  const message = ProxyProtocolErrorCodes[code];
  return { ok: false, code, message: detail === undefined ? message : `${message}: ${detail}` };
}

function formatIPv4(bytes: Buffer): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 text form (lower case, the longest run of two or more zero groups as `::`), and
 * IPv4-mapped addresses as `::ffff:a.b.c.d`, the form node:net reports for them.
 */
export function formatIPv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes.subarray(12, 16))}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
