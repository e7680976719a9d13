import type { Session } from './session.js';

/**
 * A room as one process sees it: the members whose sockets it holds. Order, history and
 * the full member list belong to the bus (bus/chat-state.ts), which may be elsewhere.
 */
export class Room {
  readonly name: string;
  readonly members = new Set<Session>();
  /** Seq of the newest message fanned out here (for /stats). */
  lastSeq = 0;
  /** When each member last had a `typing` relayed here (hub.ts: one per TYPING_INTERVAL_MS). */
  readonly typedAt = new Map<Session, number>();

  constructor(name: string) {
    this.name = name;
  }
}
