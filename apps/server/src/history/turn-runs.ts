/**
 * The SQLite store's lines of the turn, gathered by room until the commit writes them
 * (sqlite-store.ts): for each room, a run of consecutive seqs (more than one when a room fills
 * a chunk within the turn), and for each run the chain of its lines, all as columns.
 *
 * Why columns: a saturated cluster primary commits ~200 turns a second of ~500 rooms each.
 * With an object per run, an array of its line references and a map of open runs cleared
 * every turn, those were ~100k objects a second that lived past a scavenge (they wait for the
 * commit), plus the arrays' and the map's backing stores regrown every turn: most of what the
 * primary allocated per message besides the message itself. Here a turn writes numbers into
 * typed arrays that stay from turn to turn, and nothing of it survives a scavenge.
 */
import type { LineRef } from '../core/line-slab.js';
import { MAX_CHUNK_LINES } from './line-chunks.js';
import type { DirectorySource } from './commit-directory.js';

const FIRST_RUNS = 64;
const FIRST_LINES = 256;
/** Room names the slot map may remember beyond this turn's rooms before it starts afresh. */
const SLOT_SLACK = 4096;

export class TurnRuns implements DirectorySource {
  /** Runs this turn, in the order they began. */
  length = 0;
  /** Lines this turn, and their bytes. */
  messages = 0;
  bytes = 0;
  /**
   * room → the index of its last run, possibly from an earlier turn: valid only while that
   * index is below `length` and names the same room. Kept across turns (clearing a Map
   * allocates a new table, and refilling it regrows it turn after turn).
   */
  readonly #slot = new Map<string, number>();
  #room: string[] = [];
  #firstSeq = new Float64Array(FIRST_RUNS);
  #firstTs = new Float64Array(FIRST_RUNS);
  #lastTs = new Float64Array(FIRST_RUNS);
  #count = new Int32Array(FIRST_RUNS);
  #size = new Int32Array(FIRST_RUNS);
  /** The run's first and last line (indexes of the line columns). */
  #head = new Int32Array(FIRST_RUNS);
  #tail = new Int32Array(FIRST_RUNS);
  /** Lines: `buf[start, end)`, and the next line of the same run (-1: none). */
  #lines = 0;
  #buf: Buffer[] = [];
  #start = new Int32Array(FIRST_LINES);
  #end = new Int32Array(FIRST_LINES);
  #next = new Int32Array(FIRST_LINES);

  room(i: number): string {
    return this.#room[i]!;
  }
  firstSeq(i: number): number {
    return this.#firstSeq[i]!;
  }
  count(i: number): number {
    return this.#count[i]!;
  }
  firstTs(i: number): number {
    return this.#firstTs[i]!;
  }
  lastTs(i: number): number {
    return this.#lastTs[i]!;
  }
  size(i: number): number {
    return this.#size[i]!;
  }

  /** The newest seq of `room` this turn, if it has one. */
  lastSeq(room: string): number | undefined {
    const run = this.#runOf(room);
    return run < 0 ? undefined : this.#firstSeq[run]! + this.#count[run]! - 1;
  }

  /** Message `seq` of `room`, at `ts`: its line joins the room's run (a new one past a chunk's worth). */
  append(room: string, seq: number, ts: number, line: LineRef): void {
    let run = this.#runOf(room);
    if (run < 0 || this.#count[run]! >= MAX_CHUNK_LINES) run = this.#begin(room, seq, ts);
    const l = this.#lines++;
    if (l === this.#start.length) this.#growLines();
    this.#buf[l] = line.buf;
    this.#start[l] = line.start;
    this.#end[l] = line.end;
    this.#next[l] = -1;
    if (this.#count[run] === 0) this.#head[run] = l;
    else this.#next[this.#tail[run]!] = l;
    this.#tail[run] = l;
    this.#count[run] = this.#count[run]! + 1;
    const bytes = line.end - line.start;
    this.#size[run] = this.#size[run]! + bytes;
    this.#lastTs[run] = ts;
    this.messages++;
    this.bytes += bytes;
  }

  /**
   * Copies run `i`'s lines end to end into `out` at `at`; returns where they end. Lines that
   * lie end to end where they are (a room's slab) go in one copy.
   */
  copyLines(i: number, out: Buffer, at: number): number {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    const next = this.#next;
    let l = this.#head[i]!;
    let from = start[l]!;
    let to = end[l]!;
    for (let n = next[l]!; n >= 0; n = next[n]!) {
      if (buf[n] === buf[l] && start[n] === to) {
        to = end[n]!;
        continue;
      }
      at += buf[l]!.copy(out, at, from, to);
      l = n;
      from = start[n]!;
      to = end[n]!;
    }
    return at + buf[l]!.copy(out, at, from, to);
  }

  /** The turn is committed (or dropped): starts the next one. */
  reset(): void {
    this.length = 0;
    this.messages = 0;
    this.bytes = 0;
    // Let go of the lines' buffers (room names are the rooms' own, and are overwritten run by run).
    this.#buf.fill(undefined as unknown as Buffer, 0, this.#lines);
    this.#lines = 0;
    if (this.#slot.size > SLOT_SLACK) this.#slot.clear();
  }

  #runOf(room: string): number {
    const run = this.#slot.get(room);
    return run !== undefined && run < this.length && this.#room[run] === room ? run : -1;
  }

  #begin(room: string, seq: number, ts: number): number {
    const run = this.length++;
    if (run === this.#firstSeq.length) this.#growRuns();
    this.#room[run] = room;
    this.#firstSeq[run] = seq;
    this.#firstTs[run] = ts;
    this.#lastTs[run] = ts;
    this.#count[run] = 0;
    this.#size[run] = 0;
    this.#slot.set(room, run);
    return run;
  }

  #growRuns(): void {
    const n = 2 * this.#firstSeq.length;
    this.#firstSeq = grown(this.#firstSeq, new Float64Array(n));
    this.#firstTs = grown(this.#firstTs, new Float64Array(n));
    this.#lastTs = grown(this.#lastTs, new Float64Array(n));
    this.#count = grown(this.#count, new Int32Array(n));
    this.#size = grown(this.#size, new Int32Array(n));
    this.#head = grown(this.#head, new Int32Array(n));
    this.#tail = grown(this.#tail, new Int32Array(n));
  }

  #growLines(): void {
    const n = 2 * this.#start.length;
    this.#start = grown(this.#start, new Int32Array(n));
    this.#end = grown(this.#end, new Int32Array(n));
    this.#next = grown(this.#next, new Int32Array(n));
  }
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
