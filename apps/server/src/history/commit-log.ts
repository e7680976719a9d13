/**
 * The SQLite store's write-ahead of its own, in memory: what is committed (a record of the log
 * files, log-files.ts) and not yet folded into chunks of its room ("folding", sqlite-store.ts).
 * A commit holds every line of the turn, whatever rooms they are in.
 *
 * Why: writing each room's lines of a turn as a row of `chunks` at once cost a row, an index
 * entry and a `rooms` update per room per turn; in a workload of many rooms (500 rooms, ~1
 * message per room per turn) that is a row per message, with its index entries landing on
 * pages all over the file, each dirty page another 4 KiB in the WAL: 14 µs of CPU per
 * message, half of it in the kernel. One record per turn is a sequential append whatever
 * the rooms; a room is folded once it has a full chunk's worth of lines or its oldest
 * unfolded line has waited a while, so a busy room's chunks are full and a quiet room's
 * hold what it said in that while.
 *
 *   commit:  id │ segments (JSON: [[room, first_seq, count, first_ts, last_ts, bytes], …])
 *               │ lines    (the segments' lines end to end, each as delivered)
 *
 * A commit is released (its file may go) once every room in it is folded. Until its room is
 * folded a line is read from here, so history answers see every committed line; at open, the
 * commits left in the files are read back into here, less the segments already folded (seq
 * at or below the room's recorded last seq), and folded.
 */
import { MAX_CHUNK_LINES } from './line-chunks.js';

/** Consecutive seqs of one room from one commit: a range of that commit's bytes. */
export interface Run {
  readonly commit: number;
  readonly firstSeq: number;
  readonly count: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /**
   * The lines, end to end, each with its newline: `bytes[start, end)`, the commit's bytes. A
   * range, not a view: a view is a typed array the garbage collector visits for as long as
   * it lives, and a busy second holds tens of thousands of runs (see line-slab.ts).
   */
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

/** A run's lines as a Buffer (a view: no copy). */
export function runLines(run: Run): Buffer {
  return run.bytes.subarray(run.start, run.end);
}

export type Segment = [room: string, firstSeq: number, count: number, firstTs: number, lastTs: number, bytes: number];

interface RoomRuns {
  readonly runs: Run[];
  messages: number;
  /** Bytes of its lines. */
  bytes: number;
}

export class CommitLog {
  /** room → its unfolded runs, oldest first; in the order rooms got their oldest run. */
  readonly #byRoom = new Map<string, RoomRuns>();
  /** Rooms with a full chunk's worth of lines unfolded. */
  readonly #full = new Set<string>();
  /** commit id → its runs not yet folded */
  readonly #unfoldedRuns = new Map<number, number>();
  #messages = 0;

  /** Lines committed but not yet folded. */
  get messages(): number {
    return this.#messages;
  }

  /**
   * Takes in a commit whose segments' lines lie end to end in `bytes` from `at` (`bytes` is
   * kept: views of it are what reads return). Segments for which `skip` says true (already
   * folded) are left out.
   */
  add(
    commit: number,
    segments: readonly Segment[],
    bytes: Buffer,
    at: number,
    skip?: (room: string, firstSeq: number) => boolean,
  ): void {
    let runs = 0;
    for (const [room, firstSeq, count, firstTs, lastTs, length] of segments) {
      const run: Run = { commit, firstSeq, count, firstTs, lastTs, bytes, start: at, end: at + length };
      at += length;
      if (skip?.(room, firstSeq) === true) continue;
      runs++;
      this.#messages += count;
      let entry = this.#byRoom.get(room);
      if (entry === undefined) this.#byRoom.set(room, (entry = { runs: [], messages: 0, bytes: 0 }));
      entry.runs.push(run);
      entry.messages += count;
      entry.bytes += length;
      if (entry.messages >= MAX_CHUNK_LINES) this.#full.add(room);
    }
    if (runs > 0) this.#unfoldedRuns.set(commit, runs);
  }

  runs(room: string): readonly Run[] {
    return this.#byRoom.get(room)?.runs ?? NO_RUNS;
  }

  /** The newest unfolded seq of `room`, if it has any. */
  lastSeq(room: string): number | undefined {
    const runs = this.#byRoom.get(room)?.runs;
    if (runs === undefined) return undefined;
    const last = runs[runs.length - 1]!;
    return last.firstSeq + last.count - 1;
  }

  /**
   * Rooms to fold now, about `maxMessages` lines' or `maxBytes` bytes' worth, whichever comes
   * first (at least one room): those with a full chunk, then those whose oldest unfolded line
   * is from before `olderThan` (a timestamp; Infinity: any), oldest first.
   */
  due(olderThan: number, maxMessages: number, maxBytes = Infinity): string[] {
    const out: string[] = [];
    let messages = 0;
    let bytes = 0;
    for (const room of this.#full) {
      const entry = this.#byRoom.get(room)!;
      out.push(room);
      messages += entry.messages;
      bytes += entry.bytes;
      if (messages >= maxMessages || bytes >= maxBytes) return out;
    }
    for (const [room, entry] of this.#byRoom) {
      if (entry.runs[0]!.firstTs >= olderThan) break; // rooms are in the order of their oldest run
      if (this.#full.has(room)) continue;
      out.push(room);
      messages += entry.messages;
      bytes += entry.bytes;
      if (messages >= maxMessages || bytes >= maxBytes) break;
    }
    return out;
  }

  /** `rooms` were folded (whole): forgets their runs; returns the commits left with none unfolded. */
  folded(rooms: readonly string[]): number[] {
    const emptied: number[] = [];
    for (const room of rooms) {
      const entry = this.#byRoom.get(room);
      if (entry === undefined) continue;
      for (const run of entry.runs) {
        const left = this.#unfoldedRuns.get(run.commit)! - 1;
        if (left > 0) this.#unfoldedRuns.set(run.commit, left);
        else {
          this.#unfoldedRuns.delete(run.commit);
          emptied.push(run.commit);
        }
      }
      this.#messages -= entry.messages;
      this.#byRoom.delete(room);
      this.#full.delete(room);
    }
    return emptied;
  }
}

const NO_RUNS: readonly Run[] = [];
