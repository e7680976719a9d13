/**
 * The control plane between cluster workers and the primary: `process.send` messages, as
 * discriminated unions. Only what is rare travels here (the gather of
 * cluster-wide /stats, /metrics and admin commands, lifecycle); every chat request and event
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
  | { t: 'collected'; cid: number; data: unknown };

/** primary → worker */
export type ToWorker = { t: 'gathered'; rid: number; results: unknown[] } | { t: 'collect'; cid: number; what: GatherKind };

export function isLoopchatMessage(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
