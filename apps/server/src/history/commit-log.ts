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
 *   commit:  id │ directory (per room: first_seq, count, first_ts, last_ts, bytes; commit-directory.ts)
 *               │ lines     (the rooms' lines end to end, each as delivered)
 *
 * A commit is released (its file may go) once every room in it is folded. Until its room is
 * folded a line is read from here, so history answers see every committed line; at open, the
 * commits left in the files are read back into here, less the segments already folded (seq
 * at or below the room's recorded last seq), and folded.
 */
import type { LineRef } from '../core/line-slab.js';
import { MAX_CHUNK_LINES } from './line-chunks.js';

const NO_LINES: readonly LineRef[] = [];
const NO_BYTES = Buffer.alloc(0);

/**
 * Consecutive seqs of one room from one commit. During the turn it gathers the room's lines
 * (`lines`, ranges of the room's slab); once committed they are a range of the commit's bytes,
 * and the same object is what the log keeps: one object per room per turn, not three (the
 * pending chunk, its directory entry and the run were each garbage a second later).
 */
export class Run {
  readonly room: string;
  readonly firstSeq: number;
  readonly firstTs: number;
  lastTs: number;
  count = 0;
  /** Bytes of its lines. */
  size = 0;
  /** Its lines until committed (then none: the commit's bytes hold them). */
  lines: LineRef[] | readonly LineRef[] = [];
  /** The commit it is in (0 until committed). */
  commit = 0;
  /**
   * The lines, end to end, each with its newline: `bytes[start, end)`, the commit's bytes. A
   * range, not a view: a view is a typed array the garbage collector visits for as long as
   * it lives, and a busy second holds tens of thousands of runs (see line-slab.ts).
   */
  bytes: Buffer = NO_BYTES;
  start = 0;
  end = 0;

  constructor(room: string, firstSeq: number, firstTs: number) {
    this.room = room;
    this.firstSeq = firstSeq;
    this.firstTs = firstTs;
    this.lastTs = firstTs;
  }

  /** A run read back from a commit record (recovery): its lines are `bytes[start, start + size)`. */
  static stored(segment: Segment, commit: number, bytes: Buffer, start: number): Run {
    const [room, firstSeq, count, firstTs, lastTs, size] = segment;
    const run = new Run(room, firstSeq, firstTs);
    run.lastTs = lastTs;
    run.count = count;
    run.size = size;
    run.lines = NO_LINES;
    run.located(commit, bytes, start);
    return run;
  }

  add(line: LineRef, ts: number): void {
    (this.lines as LineRef[]).push(line);
    this.count++;
    this.size += line.end - line.start;
    this.lastTs = ts;
  }

  /** Its lines are now `bytes[start, start + size)` of commit `commit`. */
  located(commit: number, bytes: Buffer, start: number): void {
    this.lines = NO_LINES;
    this.commit = commit;
    this.bytes = bytes;
    this.start = start;
    this.end = start + this.size;
  }
}

/** A run's lines as a Buffer (a view: no copy). */
export function runLines(run: Run): Buffer {
  return run.bytes.subarray(run.start, run.end);
}

/** A commit directory's entry (commit-directory.ts). */
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
   * Takes in the runs of one commit, located (their bytes are kept: views of them are what
   * reads return). Runs for which `skip` says true (already folded) are left out.
   */
  add(runs: readonly Run[], skip?: (room: string, firstSeq: number) => boolean): void {
    let kept = 0;
    for (const run of runs) {
      if (skip?.(run.room, run.firstSeq) === true) continue;
      kept++;
      this.#messages += run.count;
      let entry = this.#byRoom.get(run.room);
      if (entry === undefined) this.#byRoom.set(run.room, (entry = { runs: [], messages: 0, bytes: 0 }));
      entry.runs.push(run);
      entry.messages += run.count;
      entry.bytes += run.size;
      if (entry.messages >= MAX_CHUNK_LINES) this.#full.add(run.room);
    }
    if (kept > 0) this.#unfoldedRuns.set(runs[0]!.commit, kept);
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
    return rooms.flatMap((room) => this.foldedThrough(room, Infinity));
  }

  /**
   * `room` is folded through `seq` (by another process: history-keeper.ts): forgets its runs up
   * to there (whole runs: a fold takes whole runs); returns the commits left with none unfolded.
   * The room keeps its place in the order of oldest runs (due() reads it): only a sequencer,
   * which folds by age never, keeps a room after a partial fold.
   */
  foldedThrough(room: string, seq: number): number[] {
    const entry = this.#byRoom.get(room);
    if (entry === undefined) return [];
    const emptied: number[] = [];
    let gone = 0;
    for (const run of entry.runs) {
      if (run.firstSeq + run.count - 1 > seq) break;
      gone++;
      entry.messages -= run.count;
      entry.bytes -= run.size;
      this.#messages -= run.count;
      const left = this.#unfoldedRuns.get(run.commit)! - 1;
      if (left > 0) this.#unfoldedRuns.set(run.commit, left);
      else {
        this.#unfoldedRuns.delete(run.commit);
        emptied.push(run.commit);
      }
    }
    if (gone === entry.runs.length) {
      this.#byRoom.delete(room);
      this.#full.delete(room);
    } else {
      entry.runs.splice(0, gone);
      if (entry.messages < MAX_CHUNK_LINES) this.#full.delete(room);
    }
    return emptied;
  }
}

const NO_RUNS: readonly Run[] = [];
