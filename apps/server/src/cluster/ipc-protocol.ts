/**
 * The control plane between cluster workers and the primary: `process.send` messages, as
 * discriminated unions. Only what is rare travels here (connection hand-off, the gather of
 * cluster-wide /stats, /metrics and admin commands, lifecycle); every chat request and event
 * travels on the data plane as bytes (records.ts).
 */
import type { AdminCommand } from '../core/admin-commands.js';

/** An AdminCommand is run by every worker and answered like stats (http/admin.ts merges them). */
export type GatherKind = 'stats' | 'metrics' | AdminCommand;

/** worker → primary */
export type ToPrimary =
  | { t: 'listening'; tcpPort: number; httpPort: number }
  /** Ask the primary to gather something from every worker (cluster-wide /stats, /metrics, admin). */
  | { t: 'gather'; rid: number; what: GatherKind }
  /** This worker's answer to a `collect`. */
  | { t: 'collected'; cid: number; data: unknown }
  /** Connections handed over by the primary that closed since the last report. */
  | { t: 'closed'; count: number };

/** Which of the cluster's two ports a handed-over connection came in on. */
export type ListenerKind = 'tcp' | 'http';

/** primary → worker */
export type ToWorker =
  | { t: 'gathered'; rid: number; results: unknown[] }
  | { t: 'collect'; cid: number; what: GatherKind }
  /** Sent with a socket handle (connection-distributor.ts). */
  | { t: 'conn'; kind: ListenerKind };

export function isLoopchatMessage(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
