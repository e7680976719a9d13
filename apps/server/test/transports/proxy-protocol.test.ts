/**
 * PROXY protocol header parser (HAProxy's proxy-protocol.txt, v1 §2.1 and v2 §2.2): fixtures
 * as hex Buffers, every input also fed split at every byte boundary, limits checked before
 * buffering, and whatever follows the header handed on untouched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_V1_HEADER_BYTES,
  MAX_V2_HEADER_BYTES,
  ProxyHeaderParser,
  formatIPv6,
  type ProxyParseResult,
} from '../../src/transports/proxy-protocol.js';

const SIG = '0d0a0d0a000d0a515549540a';

/** v2 header: signature, ver/cmd, fam, len, then `body` (all hex). */
function v2(verCmd: string, fam: string, body: string): Buffer {
  const len = (body.length / 2).toString(16).padStart(4, '0');
  return Buffer.from(`${SIG}${verCmd}${fam}${len}${body}`, 'hex');
}

/** 203.0.113.7:51234 → 10.0.0.2:4000 over TCP/IPv4. */
const V2_TCP4 = v2('21', '11', 'cb007107' + '0a000002' + 'c822' + '0fa0');
/** [2001:db8::7]:443 → [2001:db8::1]:4000 over TCP/IPv6. */
const V2_TCP6 = v2('21', '21', '20010db8000000000000000000000007' + '20010db8000000000000000000000001' + '01bb' + '0fa0');
/** LOCAL: the proxy's own connection (health check); family UNSPEC, no addresses. */
const V2_LOCAL = v2('20', '00', '');

/** Feeds `chunks` in order; returns the first result and how many chunks it took. */
function feed(chunks: Buffer[]): { result: ProxyParseResult | undefined; used: number; parser: ProxyHeaderParser } {
  const parser = new ProxyHeaderParser();
  for (let i = 0; i < chunks.length; i++) {
    const result = parser.push(chunks[i]!);
    if (result !== undefined) return { result, used: i + 1, parser };
  }
  return { result: undefined, used: chunks.length, parser };
}

/** The input split into two chunks at every boundary (and as one chunk), each fed to a fresh parser. */
function everySplit(input: Buffer): ProxyParseResult[] {
  const results: ProxyParseResult[] = [];
  for (let cut = 0; cut <= input.length; cut++) {
    const chunks = [input.subarray(0, cut), input.subarray(cut)].filter((c) => c.length > 0);
    const { result, used } = feed(chunks);
    if (result === undefined) throw new Error(`no result when split at ${cut}`);
    // What the line decoder would see: the rest of the chunk that completed the header, then later chunks.
    results.push(result.ok ? { ...result, rest: Buffer.concat([result.rest, ...chunks.slice(used)]) } : result);
  }
  return results;
}

/** Every single byte as its own chunk. */
function byteByByte(input: Buffer): ProxyParseResult | undefined {
  return feed([...input].map((b) => Buffer.from([b]))).result;
}

function restsOf(results: ProxyParseResult[]): string[] {
  return results.map((r) => (r.ok ? r.rest.toString('latin1') : `error ${r.code}`));
}

describe('PROXY protocol v2', () => {
  it('reads the client address and port of a TCP/IPv4 connection', () => {
    const { result } = feed([V2_TCP4]);
    expect(result).toMatchObject({
      ok: true,
      header: {
        version: 2,
        command: 'proxy',
        source: { address: '203.0.113.7', port: 51234 },
        destination: { address: '10.0.0.2', port: 4000 },
      },
    });
  });

  it('reads a TCP/IPv6 connection, printing the address in RFC 5952 form', () => {
    const { result } = feed([V2_TCP6]);
    expect(result).toMatchObject({
      ok: true,
      header: { source: { address: '2001:db8::7', port: 443 }, destination: { address: '2001:db8::1', port: 4000 } },
    });
  });

  it('treats LOCAL as the proxy speaking for itself: no client address', () => {
    const { result } = feed([V2_LOCAL]);
    expect(result).toMatchObject({ ok: true, header: { version: 2, command: 'local', source: null } });
  });

  it('skips TLVs after the addresses and hands on the bytes after the header', () => {
    // PP2_TYPE_AUTHORITY (0x02) "chat.example", then the client's first line.
    const tlv = '02000c' + Buffer.from('chat.example').toString('hex');
    const header = v2('21', '11', 'cb007107' + '0a000002' + 'c822' + '0fa0' + tlv);
    const input = Buffer.concat([header, Buffer.from('{"type":"hello","nick":"a"}\n')]);
    const results = everySplit(input);
    for (const r of results) expect(r).toMatchObject({ ok: true, header: { source: { address: '203.0.113.7' } } });
    expect(new Set(restsOf(results))).toEqual(new Set(['{"type":"hello","nick":"a"}\n']));
    // Whole input in one chunk: everything after the header is the rest, as a view of that chunk.
    const { result } = feed([input]);
    expect(result?.ok && result.rest.buffer === input.buffer).toBe(true);
    expect(result?.ok && result.rest.toString()).toBe('{"type":"hello","nick":"a"}\n');
  });

  it('gives the same answer whatever the chunking', () => {
    for (const input of [V2_TCP4, V2_TCP6, V2_LOCAL]) {
      const tail = Buffer.from('rest\n');
      const whole = Buffer.concat([input, tail]);
      const expected = feed([whole]).result;
      const expectedHeader = expected?.ok ? expected.header : undefined;
      for (const r of everySplit(whole)) expect(r.ok && r.header).toEqual(expectedHeader);
      expect(byteByByte(input)).toMatchObject({ ok: true, header: expectedHeader });
    }
  });

  it('maps IPv4-mapped IPv6 sources to the ::ffff:a.b.c.d form node:net uses', () => {
    const header = v2('21', '21', '00000000000000000000ffffcb007107' + '00000000000000000000000000000001' + '0001' + '0002');
    expect(feed([header]).result).toMatchObject({ ok: true, header: { source: { address: '::ffff:203.0.113.7' } } });
  });

  it('uses the real endpoints for AF_UNIX and UDP (nothing to relay as a client IP)', () => {
    expect(feed([v2('21', '31', '00'.repeat(216))]).result).toMatchObject({ ok: true, header: { command: 'local' } });
    expect(feed([v2('21', '12', 'cb0071070a000002c8220fa0')]).result).toMatchObject({
      ok: true,
      header: { command: 'local' },
    });
  });

  it.each<[string, Buffer, string]>([
    ['a wrong signature byte', Buffer.from(`${SIG.slice(0, 22)}0b210000`, 'hex'), 'PROXY_HEADER_MISSING'],
    ['version 1 in the binary header', v2('11', '11', 'cb0071070a000002c8220fa0'), 'PROXY_HEADER_UNSUPPORTED'],
    ['an unknown command', v2('22', '11', 'cb0071070a000002c8220fa0'), 'PROXY_HEADER_UNSUPPORTED'],
    ['an address block shorter than IPv4 needs', v2('21', '11', 'cb0071070a000002'), 'PROXY_HEADER_INVALID'],
    ['an address block shorter than IPv6 needs', v2('21', '21', 'cb0071070a000002c8220fa0'), 'PROXY_HEADER_INVALID'],
    ['an unknown address family', v2('21', '41', ''), 'PROXY_HEADER_INVALID'],
  ])('rejects %s', (_what, input, code) => {
    for (const r of everySplit(input)) expect(r).toMatchObject({ ok: false, code });
  });

  it(`rejects a header longer than ${MAX_V2_HEADER_BYTES} bytes from its length field, before the bytes arrive`, () => {
    const fixed = Buffer.from(`${SIG}2111${(MAX_V2_HEADER_BYTES - 16 + 1).toString(16).padStart(4, '0')}`, 'hex');
    expect(feed([fixed]).result).toMatchObject({ ok: false, code: 'PROXY_HEADER_TOO_LONG' });
    // The largest allowed one (16 + 216) is fine.
    expect(feed([v2('21', '31', '00'.repeat(MAX_V2_HEADER_BYTES - 16))]).result).toMatchObject({ ok: true });
  });

  it('fails at the first byte that cannot start a header, without waiting for more', () => {
    expect(feed([Buffer.from('{"type":"hello"}\n')]).result).toMatchObject({ ok: false, code: 'PROXY_HEADER_MISSING' });
    expect(feed([Buffer.from('\r\nX')]).result).toMatchObject({ ok: false, code: 'PROXY_HEADER_MISSING' });
  });
});

describe('PROXY protocol v1', () => {
  it.each<[string, string, number]>([
    ['PROXY TCP4 198.51.100.22 203.0.113.7 35646 4000\r\n', '198.51.100.22', 35646],
    ['PROXY TCP6 2001:db8::22 2001:db8::1 65535 4000\r\n', '2001:db8::22', 65535],
    ['PROXY TCP4 0.0.0.0 255.255.255.255 0 4000\r\n', '0.0.0.0', 0],
  ])('reads %j', (line, address, port) => {
    const input = Buffer.from(`${line}hello\n`, 'latin1');
    const results = everySplit(input);
    for (const r of results)
      expect(r).toMatchObject({ ok: true, header: { version: 1, command: 'proxy', source: { address, port } } });
    expect(new Set(restsOf(results))).toEqual(new Set(['hello\n']));
    expect(byteByByte(Buffer.from(line, 'latin1'))).toMatchObject({ ok: true, header: { source: { address } } });
  });

  it('treats UNKNOWN as the proxy speaking for itself', () => {
    for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n']) {
      expect(feed([Buffer.from(line)]).result).toMatchObject({
        ok: true,
        header: { version: 1, command: 'local', source: null },
      });
    }
  });

  it.each<[string, string]>([
    ['a bare LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['a missing field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['an extra space', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n'],
    ['an IPv4 address with leading zeros', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['an unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['lower case', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'],
  ])('rejects %s', (_what, line) => {
    for (const r of everySplit(Buffer.from(line, 'latin1'))) expect(r.ok).toBe(false);
  });

  it(`rejects a line with no CRLF within ${MAX_V1_HEADER_BYTES} bytes, holding no more than that`, () => {
    const parser = new ProxyHeaderParser();
    const long = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(200)}\r\n`);
    let result: ProxyParseResult | undefined;
    for (const byte of long) {
      result = parser.push(Buffer.from([byte]));
      if (result !== undefined) break;
      expect(parser.bufferedBytes).toBeLessThan(MAX_V1_HEADER_BYTES);
    }
    expect(result).toMatchObject({ ok: false, code: 'PROXY_HEADER_TOO_LONG' });
    // 107 bytes exactly, CRLF included, is the longest allowed.
    const longest = `PROXY UNKNOWN ${'x'.repeat(MAX_V1_HEADER_BYTES - 16)}\r\n`;
    expect(longest.length).toBe(MAX_V1_HEADER_BYTES);
    expect(feed([Buffer.from(longest)]).result).toMatchObject({ ok: true });
  });

  it('rejects a text client that happens to start with P', () => {
    expect(feed([Buffer.from('PING\n')]).result).toMatchObject({ ok: false, code: 'PROXY_HEADER_MISSING' });
  });
});

describe('ProxyHeaderParser bounds', () => {
  it('never holds more than 232 bytes and never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }), (chunks) => {
        const parser = new ProxyHeaderParser();
        for (const chunk of chunks) {
          const result = parser.push(Buffer.from(chunk));
          expect(parser.bufferedBytes).toBeLessThanOrEqual(MAX_V2_HEADER_BYTES);
          if (result !== undefined) return;
        }
      }),
    );
  });

  it('never holds more than 232 bytes of a header-shaped stream either', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (tail, size) => {
        const input = Buffer.concat([Buffer.from(`${SIG}21`, 'hex'), Buffer.from(tail)]);
        const parser = new ProxyHeaderParser();
        for (let at = 0; at < input.length; at += size) {
          const result = parser.push(input.subarray(at, at + size));
          expect(parser.bufferedBytes).toBeLessThanOrEqual(MAX_V2_HEADER_BYTES);
          if (result !== undefined) return;
        }
      }),
    );
  });

  it('refuses to be fed after it has answered', () => {
    const parser = new ProxyHeaderParser();
    expect(parser.push(V2_LOCAL)).toMatchObject({ ok: true });
    expect(() => parser.push(Buffer.from('x'))).toThrow();
  });
});

describe('formatIPv6', () => {
  it.each<[string, string]>([
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['fe800000000000000000000000000000', 'fe80::'],
  ])('%s → %s', (hex, text) => {
    expect(formatIPv6(Buffer.from(hex, 'hex'))).toBe(text);
  });
});
