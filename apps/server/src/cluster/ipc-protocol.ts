/**
 * The control plane between cluster workers and the primary: `process.send` messages, as
 * discriminated unions. Only what is rare travels here (the gather of cluster-wide /stats,
 * /metrics and admin commands, lifecycle, the spread of connections: a worker's count at most
 * every REPORT_EVERY_MS while it changes); every chat request and event
 * travels on the data plane as bytes (records.ts).
 */
import type { AdminCommand } from '../core/admin-commands.js';

/**
 * The stdio slot of each worker's data socket (0–2 are stdio, 3 node's IPC channel): the
 * data plane's socketpair, opened by the primary at fork (primary.ts), read by the worker's
 * IpcBus (bus/choose-bus.ts).
 */
export const DATA_FD = 4;

/**
 * An AdminCommand is run by every worker and answered like stats (http/admin.ts merges them).
 * 'backup' is the primary's alone (it holds the history store): one answer, `{file}` or `{error}`.
 */
export type GatherKind = 'stats' | 'metrics' | 'backup' | AdminCommand;

/** worker → primary */
export type ToPrimary =
  | { t: 'listening'; tcpPort: number; httpPort: number }
  /** Ask the primary to gather something from every worker (cluster-wide /stats, /metrics, admin). */
  | { t: 'gather'; rid: number; what: GatherKind }
  /** This worker's answer to a `collect`. */
  | { t: 'collected'; cid: number; data: unknown }
  /**
   * The connections this worker holds now, whether it accepts new ones, and the last `hold`
   * word it has taken in (cluster/accept-balance.ts).
   */
  | { t: 'connections'; count: number; accepting: boolean; word: number };

/** primary → worker */
export type ToWorker =
  | { t: 'gathered'; rid: number; results: unknown[] }
  | { t: 'collect'; cid: number; what: GatherKind }
  /** Stop accepting new connections (true) so siblings take them, or accept again; `word` numbers it. */
  | { t: 'hold'; hold: boolean; word: number };

export function isLoopchatMessage(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
