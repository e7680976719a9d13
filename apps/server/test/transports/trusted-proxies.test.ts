/**
 * Trusted proxies: who may name the client, and which address in X-Forwarded-For is the
 * client's (the rightmost one not written by a trusted proxy).
 */
import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../../src/transports/trusted-proxies.js';

describe('TrustedProxies.has', () => {
  const trusted = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it('matches listed addresses and CIDR blocks, IPv4-mapped IPv6 included', () => {
    expect(trusted.has('127.0.0.1')).toBe(true);
    expect(trusted.has('::ffff:127.0.0.1')).toBe(true);
    expect(trusted.has('10.200.3.4')).toBe(true);
    expect(trusted.has('::ffff:10.200.3.4')).toBe(true);
    expect(trusted.has('fd12:3456::1')).toBe(true);
  });

  it('trusts nothing else, and nothing at all by default', () => {
    expect(trusted.has('127.0.0.2')).toBe(false);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('fe80::1')).toBe(false);
    expect(trusted.has(undefined)).toBe(false);
    expect(trusted.has('not-an-ip')).toBe(false);
    expect(new TrustedProxies([]).has('127.0.0.1')).toBe(false);
  });
});

describe('TrustedProxies.clientAddress (X-Forwarded-For)', () => {
  const trusted = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);

  it('ignores the header from an untrusted peer: anyone can write it', () => {
    expect(trusted.clientAddress('198.51.100.9', '203.0.113.7')).toBe('198.51.100.9');
  });

  it('takes the address the trusted proxy appended', () => {
    expect(trusted.clientAddress('127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
  });

  it('takes the rightmost untrusted hop, not a forged one further left', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended what it saw.
    expect(trusted.clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.7')).toBe('203.0.113.7');
    // Two trusted proxies in a row: walk past both.
    expect(trusted.clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
    // Repeated headers arrive as one comma-joined value or as an array.
    expect(trusted.clientAddress('127.0.0.1', ['1.1.1.1', '203.0.113.7'])).toBe('203.0.113.7');
  });

  it('falls back to the leftmost hop when every hop is trusted, and to the peer with no header', () => {
    expect(trusted.clientAddress('127.0.0.1', '10.0.0.5, 10.0.0.6')).toBe('10.0.0.5');
    expect(trusted.clientAddress('127.0.0.1', undefined)).toBe('127.0.0.1');
  });

  it('accepts ports and brackets, and stops at garbage at the last readable hop', () => {
    expect(trusted.clientAddress('127.0.0.1', '203.0.113.7:5123')).toBe('203.0.113.7');
    expect(trusted.clientAddress('127.0.0.1', '[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(trusted.clientAddress('127.0.0.1', '2001:db8::7')).toBe('2001:db8::7');
    expect(trusted.clientAddress('127.0.0.1', 'unknown')).toBe('127.0.0.1');
    expect(trusted.clientAddress('127.0.0.1', 'garbage, 10.0.0.9')).toBe('10.0.0.9');
    expect(trusted.clientAddress('127.0.0.1', '')).toBe('127.0.0.1');
  });
});
