/**
 * Global and per-IP connection caps, checked at accept time (TCP) or before the
 * WebSocket handshake. Loopback is exempt from the per-IP cap unless configured
 * otherwise, so local load tests can open tens of thousands of connections.
 */
import type { Config } from '../config.js';
import { connectionCeiling, openFileLimit } from './open-file-limit.js';

export type RefusalCode = 'server_full' | 'too_many_connections' | 'shutdown';

export class ConnectionLimiter {
  readonly #config: Readonly<Config>;
  readonly #perIp = new Map<string, number>();
  #total = 0;
  /** maxConnections, lowered to what the process's open-file limit allows. */
  readonly ceiling: number;
  /** Told the new total after every acquire and release (the cluster worker's AcceptGate). */
  onChange: ((total: number) => void) | undefined;

  constructor(config: Readonly<Config>, fdLimit: number | undefined = openFileLimit()) {
    this.#config = config;
    this.ceiling = connectionCeiling(config.maxConnections, fdLimit);
  }

  get total(): number {
    return this.#total;
  }

  /** Takes a slot for `ip`, or says why not. Every success must be paired with release(). */
  acquire(ip: string): RefusalCode | null {
    if (this.#total >= this.ceiling) return 'server_full';
    const exempt = !this.#config.limitLoopback && isLoopback(ip);
    const count = this.#perIp.get(ip) ?? 0;
    if (!exempt && count >= this.#config.maxConnectionsPerIp) return 'too_many_connections';
    this.#perIp.set(ip, count + 1);
    this.#total++;
    this.onChange?.(this.#total);
    return null;
  }

  release(ip: string): void {
    const count = this.#perIp.get(ip) ?? 0;
    if (count <= 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, count - 1);
    this.#total--;
    this.onChange?.(this.#total);
  }
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}
