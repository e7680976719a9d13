/**
 * The SQLite store keeps a room's messages in chunks: the lines of consecutive seqs of that
 * room, concatenated as they were delivered (each line ends in its newline, and a canonical
 * line has no other: JSON escapes it). A commit writes a turn's lines as one row of the log
 * (commit-log.ts); folding moves each room's lines of many commits into one chunk. One row
 * per room per fold instead of one per message: a row, its index entry and its share of the
 * sweep cost the store far more than its bytes.
 *
 *   row:  room │ first_seq │ last_seq │ first_ts │ last_ts │ lines = line(first_seq) … line(last_seq)
 *
 * Reading a chunk back is slicing at newlines: the bytes are the ones delivered, never
 * re-encoded.
 */
import type { LineRef } from '../core/line-slab.js';

/** Most lines in one chunk: bounds what a read or a replace must load to reach one line. */
export const MAX_CHUNK_LINES = 256;

/**
 * Copies `lines` end to end into `out` at `at` and returns where they end. A room's lines of
 * one turn usually sit end to end in its slab (line-slab.ts): one copy per run of adjacent
 * lines, not one per line.
 */
export function copyLines(lines: readonly LineRef[], out: Buffer, at: number): number {
  let runStart = lines[0]!;
  let runEnd = runStart.end;
  for (let i = 1; i <= lines.length; i++) {
    const line = lines[i];
    if (line !== undefined && line.buf === runStart.buf && line.start === runEnd) {
      runEnd = line.end;
      continue;
    }
    at += runStart.buf.copy(out, at, runStart.start, runEnd);
    if (line !== undefined) {
      runStart = line;
      runEnd = line.end;
    }
  }
  return at;
}

/** Views of each line of a stored chunk, newline included, oldest first. */
export function splitLines(lines: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < lines.length) {
    const nl = lines.indexOf(0x0a, start);
    const end = nl < 0 ? lines.length : nl + 1;
    out.push(lines.subarray(start, end));
    start = end;
  }
  return out;
}
