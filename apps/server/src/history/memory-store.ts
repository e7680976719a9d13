/**
 * `--history memory`: the last N lines of each room in a ring (history-ring.ts), the line
 * bytes in the room's slab (line-slab.ts). Nothing survives the process, so each start is a
 * new epoch; a room forgotten while empty starts its seqs again (README: Where history lives).
 */
import { randomUUID } from 'node:crypto';
import { HistoryRing } from '../core/history-ring.js';
import type { LineRef } from '../core/line-slab.js';
import type { HistoryQuery, HistoryStore } from './history-store.js';

export class MemoryStore implements HistoryStore {
  readonly kind = 'memory';
  readonly epoch = randomUUID();
  readonly durable = false;
  readonly keepsLines = true;
  readonly #size: number;
  readonly #rooms = new Map<string, HistoryRing>();
  readonly #meta = new Map<string, Map<string, string>>();

  constructor(historySize: number) {
    this.#size = historySize;
  }

  lastSeq(room: string): number {
    return this.#rooms.get(room)?.newestSeq ?? 0;
  }

  append(room: string, seq: number, _ts: number, line: LineRef): void {
    let ring = this.#rooms.get(room);
    if (ring === undefined) {
      ring = new HistoryRing(this.#size);
      this.#rooms.set(room, ring);
    }
    ring.push(seq, line.buf, line.start, line.end);
  }

  commit(): void {
    // Nothing to make durable: an append is kept (in memory) when it returns.
  }

  read(room: string, query: HistoryQuery): Buffer[] {
    const ring = this.#rooms.get(room);
    if (ring === undefined) return [];
    if ('latest' in query) return ring.latest(query.latest);
    return 'since' in query ? ring.since(query.since, query.limit) : ring.before(query.before, query.limit);
  }

  replace(room: string, seq: number, line: Buffer): boolean {
    return this.#rooms.get(room)?.replace(seq, line) ?? false;
  }

  forget(room: string): void {
    this.#rooms.delete(room);
    this.#meta.delete(room);
  }

  roomMeta(room: string, key: string): string | undefined {
    return this.#meta.get(room)?.get(key);
  }

  setRoomMeta(room: string, key: string, value: string | undefined): void {
    let meta = this.#meta.get(room);
    if (value === undefined) {
      meta?.delete(key);
      return;
    }
    if (meta === undefined) {
      meta = new Map();
      this.#meta.set(room, meta);
    }
    meta.set(key, value);
  }

  sweep(): boolean {
    // The ring keeps at most N per room by construction; age is not tracked in memory.
    return false;
  }

  close(): void {
    this.#rooms.clear();
  }
}
