/**
 * Messages between cluster workers and the primary, as discriminated unions. Both sides
 * batch: everything one side has for the other in one event-loop turn travels in a single
 * `process.send` (one IPC write and one JSON parse for many frames: batching moved ~4× more
 * frames per second than a send per frame here, DESIGN.md). Order inside a batch is the
 * order of events, so a room's messages arrive in seq order.
 */
import type { Id, MsgFrame } from '@loopchat/protocol';
import type { RoomSummary } from '../bus/bus.js';
import type { BusEvent } from '../bus/chat-state.js';
import type { AdminCommand } from '../core/admin-commands.js';

export type WorkerRequest =
  | { op: 'claim'; rid: number; nick: string }
  | { op: 'release'; nick: string; rooms: string[] }
  | { op: 'join'; rid: number; room: string; nick: string }
  | { op: 'leave'; room: string; nick: string }
  | { op: 'pub'; rid: number; room: string; from: string; text: string; id?: Id }
  | { op: 'dm'; rid: number; from: string; to: string; text: string; id?: Id }
  | { op: 'history'; rid: number; room: string; since?: number; limit: number }
  | { op: 'members'; rid: number; room: string }
  | { op: 'rooms'; rid: number; limit: number }
  /** Ask the primary to gather something from every worker (cluster-wide /stats, /metrics). */
  | { op: 'gather'; rid: number; what: GatherKind };

/** An AdminCommand is run by every worker and answered like stats (http/admin.ts merges them). */
export type GatherKind = 'stats' | 'metrics' | AdminCommand;

export type ResponseValue = boolean | number | MsgFrame | MsgFrame[] | string[] | RoomSummary[] | unknown;

/**
 * An event may also answer a request: the sender's own worker gets its published message
 * once, as the event for its local members carrying the publish's `rid`, not a second time
 * as the answer (that halved what the sender's worker parses and the primary serializes).
 */
export type PrimaryItem =
  | { rid: number; ok: ResponseValue }
  | { rid: number; err: 'too_many_rooms' | 'no_room' | 'failed' }
  | { ev: BusEvent; rid?: number };

/** worker → primary */
export type ToPrimary =
  | { t: 'batch'; reqs: WorkerRequest[] }
  | { t: 'listening'; tcpPort: number; httpPort: number }
  | { t: 'collected'; cid: number; data: unknown }
  /** Connections handed over by the primary that closed since the last report. */
  | { t: 'closed'; count: number };

/** Which of the cluster's two ports a handed-over connection came in on. */
export type ListenerKind = 'tcp' | 'http';

/** primary → worker */
export type ToWorker =
  | { t: 'batch'; items: PrimaryItem[] }
  | { t: 'collect'; cid: number; what: GatherKind }
  /** Sent with a socket handle (connection-distributor.ts). */
  | { t: 'conn'; kind: ListenerKind };

export function isLoopchatMessage(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string';
}
