/**
 * Where a room's messages are kept once sequenced: the store behind the bus (chat-state.ts
 * appends to it, history answers read from it). Two kinds:
 *
 *   memory   a ring of the last N lines per room (history-ring.ts); lost on restart, and a
 *            room forgotten when empty; every process start is a new epoch
 *   sqlite   one SQLite file under the data dir (sqlite-store.ts); survives a restart or a
 *            crash, seqs continue, the epoch is kept in the file
 *
 * A message is stored as its canonical line (protocol's msg-line.ts) with room, seq and ts
 * beside it, and read back as those same bytes: never re-encoded.
 *
 * Appends are buffered and made durable by commit(), called once per event-loop turn by the
 * bus (group commit): the bus acknowledges and delivers a message only after the commit that
 * holds it returned, so a seq a client saw is never given again after a crash.
 */
import type { LineRef } from '../core/line-slab.js';
import type { CommitStats } from './commit-times.js';
import type { ReadMarkerStore } from './read-markers.js';

/** Which messages a history read returns (the newest, after a seq, or before a seq). */
export type HistoryQuery =
  | { readonly latest: number }
  | { readonly since: number; readonly limit: number }
  | { readonly before: number; readonly limit: number };

export interface HistoryStore {
  /** 'memory' or 'sqlite', for logs and /stats. */
  readonly kind: string;
  /**
   * Changes only when history was really lost (a new store file, a memory store's process
   * restarted): a client that sees another epoch resets instead of trusting its `since`.
   */
  readonly epoch: string;
  /** Whether an append is kept only after commit() (false: at once, in memory). */
  readonly durable: boolean;
  /**
   * Whether it holds the LineRefs it is given after commit() (a memory store's ring does); if
   * not, it has copied their bytes by the time commit() returns, so the caller may reuse them.
   */
  readonly keepsLines: boolean;

  /** The last seq ever given in `room` (0 for a room never written); read on demand. */
  lastSeq(room: string): number;
  /** Keeps message `seq` of `room` (seq = lastSeq + 1), durable once commit() returns. */
  append(room: string, seq: number, ts: number, line: LineRef): void;
  /**
   * Makes every append since the last commit durable, in one transaction. Throws
   * HistoryStoreError (HISTORY_WRITE_FAILED) when it could not: then none of them is stored.
   */
  commit(): void;
  /** Lines of retained messages (oldest first), as stored. */
  read(room: string, query: HistoryQuery): Buffer[];
  /**
   * Replaces the stored line of message `seq` (moderation keeps a tombstone in its place);
   * false when that message is not retained. The line must keep the message's room and seq.
   */
  replace(room: string, seq: number, line: Buffer): boolean;
  /** The room left memory (empty past its TTL): a memory store forgets its history. */
  forget(room: string): void;

  /** Room-level metadata kept with the history (roles, topic…): one value per key. */
  roomMeta(room: string, key: string): string | undefined;
  setRoomMeta(room: string, key: string, value: string | undefined): void;

  /**
   * An online copy of the store (SQLite's backup API, in steps between event-loop turns) in
   * `backups/` beside it; resolves with the file written. Durable stores only.
   */
  backup?(): Promise<string>;
  /** Where read markers live when the store keeps them (else ChatState keeps them in memory). */
  readonly readMarkers?: ReadMarkerStore;
  /** Commit counts and durations (durable stores only). */
  commitStats?(): CommitStats;

  /** One bounded step of retention (by count and age); true when more is left to do. */
  sweep(now: number): boolean;
  close(): void;
}
