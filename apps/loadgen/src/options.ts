/** Parsers for flag values: durations, rate lists, mixes, address ranges. Each throws LG_INVALID_OPTION. */
import { isIP } from 'node:net';
import { invalidOption } from './errors.js';
import type { Transport } from './drivers/driver.js';

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m)?$/;
const SCALE: Record<string, number> = { us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** `10s`, `500ms`, `2m`, `1.5s`; a bare number is seconds. Returns milliseconds. */
export function parseDurationMs(text: string, flag: string): number {
  const m = DURATION.exec(text.trim());
  if (m === null) throw invalidOption(`${flag}: expected a duration such as 10s, 500ms or 2m, got "${text}"`);
  return Number(m[1]) * SCALE[m[2] ?? 's']!;
}

/** `1000` or `1000,2000,4000` (messages per second, each ≥ 0; `k` suffix allowed). */
export function parseRates(text: string): number[] {
  const rates = text.split(',').map((part) => {
    const m = /^(\d+(?:\.\d+)?)(k)?$/i.exec(part.trim());
    if (m === null) throw invalidOption(`--rate: expected messages/s such as 1000 or 1000,2000,4000, got "${text}"`);
    return Number(m[1]) * (m[2] === undefined ? 1 : 1000);
  });
  return rates;
}

export function parsePositiveInt(text: string, flag: string, min = 1): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min)
    throw invalidOption(`${flag}: expected a whole number ≥ ${min}, got "${text}"`);
  return Number(text);
}

export function parseFraction(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw invalidOption(`${flag}: expected a fraction 0..1, got "${text}"`);
  return n;
}

/** `tcp=0.5,ws=0.5` → shares that sum to 1. */
export function parseMix(text: string): Record<Transport, number> {
  const mix: Record<Transport, number> = { tcp: 0, ws: 0 };
  for (const part of text.split(',')) {
    const m = /^(tcp|ws)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (m === null) throw invalidOption(`--mix: expected tcp=SHARE,ws=SHARE, got "${text}"`);
    mix[m[1] as Transport] += Number(m[2]);
  }
  const total = mix.tcp + mix.ws;
  if (total <= 0) throw invalidOption('--mix: shares must add up to more than 0');
  return { tcp: mix.tcp / total, ws: mix.ws / total };
}

/** `127.0.0.2-127.0.0.9` or `127.0.0.2,127.0.0.3` (IPv4 ranges within one /24 step by the last octet). */
export function parseSourceIps(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const range = /^(\d+\.\d+\.\d+\.)(\d+)-(?:(\d+\.\d+\.\d+\.))?(\d+)$/.exec(item);
    if (range !== null) {
      const [, prefix, from, prefix2, to] = range;
      if (prefix2 !== undefined && prefix2 !== prefix)
        throw invalidOption(`--source-ips: a range must stay within one /24: "${item}"`);
      const a = Number(from);
      const b = Number(to);
      if (a > b || b > 255) throw invalidOption(`--source-ips: bad range "${item}"`);
      for (let i = a; i <= b; i++) out.push(`${prefix}${i}`);
    } else if (isIP(item) !== 0) {
      out.push(item);
    } else {
      throw invalidOption(`--source-ips: expected addresses or a range such as 127.0.0.2-127.0.0.9, got "${item}"`);
    }
  }
  return out;
}

/** `host:port` (IPv6 in brackets). */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim());
  if (m === null) throw invalidOption(`${flag}: expected host:port, got "${text}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw invalidOption(`${flag}: port out of range in "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `uniform` or `zipf` / `zipf:1.2` (exponent, default 1). */
export type RoomDistribution = { kind: 'uniform' } | { kind: 'zipf'; s: number };

export function parseRoomDistribution(text: string): RoomDistribution {
  const t = text.trim();
  if (t === 'uniform') return { kind: 'uniform' };
  const m = /^zipf(?::(\d+(?:\.\d+)?))?$/.exec(t);
  if (m === null) throw invalidOption(`--room-size: expected uniform, zipf or zipf:EXPONENT, got "${text}"`);
  return { kind: 'zipf', s: m[1] === undefined ? 1 : Number(m[1]) };
}

/** Collects repeated flags (commander's variadic-by-repetition idiom). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
