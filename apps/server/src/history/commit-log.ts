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
import { MAX_CHUNK_LINES } from './line-chunks.js';
import type { TurnRuns } from './turn-runs.js';

/**
 * Consecutive seqs of one room from one commit, as read out of the log (reads and folds): its
 * lines are `bytes[start, end)` of the commit's bytes (for a sequencer, a range of its log file
 * that it reads back: sqlite-store.ts). The log itself keeps runs as columns (RoomRuns): a
 * saturated primary commits ~100k runs a second, each kept until its keeper folds it, about a
 * second, and as objects they were promoted by every scavenge and marked by every full GC.
 */
export class Run {
  readonly end: number;

  constructor(
    readonly room: string,
    readonly firstSeq: number,
    readonly count: number,
    readonly firstTs: number,
    readonly lastTs: number,
    /** Bytes of its lines. */
    readonly size: number,
    /** The commit it is in. */
    readonly commit: number,
    readonly bytes: Buffer,
    readonly start: number,
  ) {
    this.end = start + size;
  }

  /** A run read back from a commit record (recovery): its lines are `bytes[start, start + size)`. */
  static stored(segment: Segment, commit: number, bytes: Buffer, start: number): Run {
    const [room, firstSeq, count, firstTs, lastTs, size] = segment;
    return new Run(room, firstSeq, count, firstTs, lastTs, size, commit, bytes, start);
  }
}

/** A run's lines as a Buffer (a view: no copy). */
export function runLines(run: Run): Buffer {
  return run.bytes.subarray(run.start, run.end);
}

/** A commit directory's entry (commit-directory.ts). */
export type Segment = [room: string, firstSeq: number, count: number, firstTs: number, lastTs: number, bytes: number];

/** A run's numbers in RoomRuns' columns: RUN_FIELDS of them, at these offsets. */
const FIRST_SEQ = 0;
const COUNT = 1;
const FIRST_TS = 2;
const LAST_TS = 3;
const SIZE = 4;
const COMMIT = 5;
const START = 6;
const RUN_FIELDS = 7;

/** One room's unfolded runs, oldest first: runs `[head, end)` of its columns. */
class RoomRuns {
  readonly room: string;
  head = 0;
  end = 0;
  messages = 0;
  /** Bytes of its lines. */
  bytes = 0;
  cols = new Float64Array(4 * RUN_FIELDS);
  /** Each run's commit bytes (a sequencer's: IN_LOG_FILE). */
  buffers: Buffer[] = [];

  constructor(room: string) {
    this.room = room;
  }

  get oldestTs(): number {
    return this.cols[this.head * RUN_FIELDS + FIRST_TS]!;
  }

  /** The last seq of run `r`. */
  lastSeqOf(r: number): number {
    const at = r * RUN_FIELDS;
    return this.cols[at + FIRST_SEQ]! + this.cols[at + COUNT]! - 1;
  }

  push(
    firstSeq: number,
    count: number,
    firstTs: number,
    lastTs: number,
    size: number,
    commit: number,
    bytes: Buffer,
    start: number,
  ): void {
    if (this.end * RUN_FIELDS === this.cols.length) this.#makeRoom();
    const r = this.end++;
    const cols = this.cols;
    const at = r * RUN_FIELDS;
    cols[at + FIRST_SEQ] = firstSeq;
    cols[at + COUNT] = count;
    cols[at + FIRST_TS] = firstTs;
    cols[at + LAST_TS] = lastTs;
    cols[at + SIZE] = size;
    cols[at + COMMIT] = commit;
    cols[at + START] = start;
    this.buffers[r] = bytes;
    this.messages += count;
    this.bytes += size;
  }

  run(r: number): Run {
    const c = this.cols;
    const at = r * RUN_FIELDS;
    return new Run(
      this.room,
      c[at + FIRST_SEQ]!,
      c[at + COUNT]!,
      c[at + FIRST_TS]!,
      c[at + LAST_TS]!,
      c[at + SIZE]!,
      c[at + COMMIT]!,
      this.buffers[r]!,
      c[at + START]!,
    );
  }

  /** Past the columns' end: moves the runs to the front if folds left room there, else doubles them. */
  #makeRoom(): void {
    const live = this.end - this.head;
    if (this.head >= live) {
      this.cols.copyWithin(0, this.head * RUN_FIELDS, this.end * RUN_FIELDS);
      this.buffers.copyWithin(0, this.head, this.end);
    } else {
      const cols = new Float64Array(2 * this.cols.length);
      cols.set(this.cols.subarray(this.head * RUN_FIELDS, this.end * RUN_FIELDS));
      this.cols = cols;
      this.buffers = this.buffers.slice(this.head, this.end);
    }
    this.buffers.length = live;
    this.head = 0;
    this.end = live;
  }
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
      const entry = this.#runsOf(run.room);
      entry.push(run.firstSeq, run.count, run.firstTs, run.lastTs, run.size, run.commit, run.bytes, run.start);
      this.#pushed(entry, run.count);
    }
    if (kept > 0) this.#unfoldedRuns.set(runs[0]!.commit, kept);
  }

  /** Takes in the turn's runs as commit `commit`: their lines lie end to end in `bytes` from `start`. */
  addTurn(turn: TurnRuns, commit: number, bytes: Buffer, start: number): void {
    for (let i = 0; i < turn.length; i++) {
      const size = turn.size(i);
      const entry = this.#runsOf(turn.room(i));
      const count = turn.count(i);
      entry.push(turn.firstSeq(i), count, turn.firstTs(i), turn.lastTs(i), size, commit, bytes, start);
      this.#pushed(entry, count);
      start += size;
    }
    if (turn.length > 0) this.#unfoldedRuns.set(commit, turn.length);
  }

  /** `room`'s runs, to push one onto (then #pushed). */
  #runsOf(room: string): RoomRuns {
    let entry = this.#byRoom.get(room);
    if (entry === undefined) this.#byRoom.set(room, (entry = new RoomRuns(room)));
    return entry;
  }

  /** A run of `count` lines was pushed onto `entry`. */
  #pushed(entry: RoomRuns, count: number): void {
    this.#messages += count;
    if (entry.messages >= MAX_CHUNK_LINES) this.#full.add(entry.room);
  }

  /** `room`'s unfolded runs, oldest first (read out: objects made for the caller). */
  runs(room: string): readonly Run[] {
    const entry = this.#byRoom.get(room);
    if (entry === undefined) return NO_RUNS;
    const out: Run[] = [];
    for (let r = entry.head; r < entry.end; r++) out.push(entry.run(r));
    return out;
  }

  /** The newest unfolded seq of `room`, if it has any. */
  lastSeq(room: string): number | undefined {
    const entry = this.#byRoom.get(room);
    return entry === undefined ? undefined : entry.lastSeqOf(entry.end - 1);
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
      if (entry.oldestTs >= olderThan) break; // rooms are in the order of their oldest run
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
  foldedThrough(room: string, seq: number): readonly number[] {
    const entry = this.#byRoom.get(room);
    if (entry === undefined) return NO_COMMITS;
    let emptied: number[] | undefined;
    const cols = entry.cols;
    let r = entry.head;
    for (; r < entry.end; r++) {
      if (entry.lastSeqOf(r) > seq) break;
      const at = r * RUN_FIELDS;
      const count = cols[at + COUNT]!;
      entry.messages -= count;
      entry.bytes -= cols[at + SIZE]!;
      this.#messages -= count;
      entry.buffers[r] = NO_BYTES; // a one-process store's record may go once no run holds it
      const commit = cols[at + COMMIT]!;
      const left = this.#unfoldedRuns.get(commit)! - 1;
      if (left > 0) this.#unfoldedRuns.set(commit, left);
      else {
        this.#unfoldedRuns.delete(commit);
        (emptied ??= []).push(commit);
      }
    }
    if (r === entry.end) {
      this.#byRoom.delete(room);
      this.#full.delete(room);
    } else {
      entry.head = r;
      if (entry.messages < MAX_CHUNK_LINES) this.#full.delete(room);
    }
    return emptied ?? NO_COMMITS;
  }
}

const NO_RUNS: readonly Run[] = [];
const NO_COMMITS: readonly number[] = [];
const NO_BYTES = Buffer.alloc(0);
