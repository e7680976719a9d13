import { HistoryRing } from './history-ring.js';
import type { Session } from './session.js';

/** A room: its members on this process, its message order (seq) and its history. */
export class Room {
  readonly name: string;
  readonly members = new Set<Session>();
  readonly history: HistoryRing;
  /** Seq of the newest message; the next message gets seq + 1. */
  seq = 0;
  /** When the last member left (ms), for expiry; 0 while the room has members. */
  emptySince = 0;

  constructor(name: string, historySize: number) {
    this.name = name;
    this.history = new HistoryRing(historySize);
  }
}
