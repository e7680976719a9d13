/**
 * The loopback guard: a load generator aimed at someone else's server is an attack, so
 * targets must be loopback (127.0.0.0/8, ::1, localhost) unless `--allow-remote` says the
 * operator means it. Names other than `localhost` are refused rather than resolved: DNS
 * could say anything.
 */
import { isIP } from 'node:net';
import { LoadgenError } from './errors.js';

export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return h.split('.')[0] === '127';
  if (family === 6) {
    const lower = h.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped loopback, ::ffff:127.x.y.z
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.split('.')[0] === '127';
  }
  return false;
}

/** Throws LG_REMOTE_TARGET for a non-loopback host unless `allowRemote`. */
export function assertLoopback(host: string, allowRemote: boolean, what: string): void {
  if (allowRemote || isLoopbackHost(host)) return;
  throw new LoadgenError(
    'LG_REMOTE_TARGET',
    `${what} ${host} is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to load a remote server`,
  );
}
