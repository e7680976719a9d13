/**
 * The client's options: defaults in one object, checked once in the constructor, frozen.
 */
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { ClientError } from './errors.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  /** How to reach the server: `webSocketTransport(url)`, or `tcpTransport({port})` from `@loopchat/client/node`. */
  transport: Transport;
  /** A request without an answer after this long rejects with `timeout`. @default 10000 */
  requestTimeoutMs?: number;
  /** Requests waiting for an answer at most; one more rejects with `too_many_pending`. @default 256 */
  maxPending?: number;
  /**
   * Reconnect after the connection drops (not after `close()`): `false` to stop, or the
   * backoff's shape. @default { initialMs: 250, maxMs: 15000, factor: 2, jitter: 0.5 }
   */
  reconnect?: boolean | Partial<BackoffOptions>;
  /** Messages per `history` request when recovering missed messages (protocol max 1000). @default 100 */
  historyPageSize?: number;
  /** Messages held per room while waiting for a missing one; past it the hole is skipped. @default 10000 */
  maxBufferedPerRoom?: number;
}

export interface ResolvedOptions {
  readonly transport: Transport;
  readonly requestTimeoutMs: number;
  readonly maxPending: number;
  readonly reconnect: Readonly<BackoffOptions> | false;
  readonly historyPageSize: number;
  readonly maxBufferedPerRoom: number;
}

const DEFAULTS = Object.freeze({
  requestTimeoutMs: 10_000,
  maxPending: 256,
  historyPageSize: 100,
  maxBufferedPerRoom: 10_000,
});

function check(ok: boolean, message: string): void {
  if (!ok) throw new ClientError('invalid_argument', message);
}

const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  check(typeof options?.transport === 'function', 'transport must be a Transport (webSocketTransport or tcpTransport)');
  const resolved = { ...DEFAULTS, ...definedOnly(options) };
  check(positiveInteger(resolved.requestTimeoutMs), 'requestTimeoutMs must be a positive integer');
  check(positiveInteger(resolved.maxPending), 'maxPending must be a positive integer');
  check(positiveInteger(resolved.historyPageSize) && resolved.historyPageSize <= 1000, 'historyPageSize must be 1 to 1000');
  check(positiveInteger(resolved.maxBufferedPerRoom), 'maxBufferedPerRoom must be a positive integer');
  const reconnect =
    options.reconnect === false ? false : resolveBackoff(options.reconnect === true ? {} : options.reconnect);
  return Object.freeze({ ...resolved, transport: options.transport, reconnect });
}

function resolveBackoff(shape: Partial<BackoffOptions> = {}): Readonly<BackoffOptions> {
  const backoff = { ...DEFAULT_BACKOFF, ...definedOnly(shape) };
  check(Number.isFinite(backoff.initialMs) && backoff.initialMs >= 0, 'reconnect.initialMs must be a number ≥ 0');
  check(Number.isFinite(backoff.maxMs) && backoff.maxMs >= backoff.initialMs, 'reconnect.maxMs must be ≥ initialMs');
  check(Number.isFinite(backoff.factor) && backoff.factor >= 1, 'reconnect.factor must be ≥ 1');
  check(backoff.jitter >= 0 && backoff.jitter <= 1, 'reconnect.jitter must be between 0 and 1');
  return Object.freeze(backoff);
}

/** `{a: undefined}` must not override a default. */
function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
