/**
 * The SQLite store keeps a room's messages in chunks: the lines of consecutive seqs that one
 * commit wrote for that room, concatenated as they were delivered (each line ends in its
 * newline, and a canonical line has no other: JSON escapes it). One row per room per commit
 * instead of one per message: under load a turn holds several messages per busy room, and a
 * row, its index entry and its share of the sweep cost the store far more than its bytes.
 *
 *   row:  room │ first_seq │ last_seq │ first_ts │ last_ts │ lines = line(first_seq) … line(last_seq)
 *
 * Reading a chunk back is slicing at newlines: the bytes are the ones delivered, never
 * re-encoded.
 */
import type { LineRef } from '../core/line-slab.js';

/** Most lines in one chunk: bounds what a read or a replace must load to reach one line. */
export const MAX_CHUNK_LINES = 256;

/** The lines of one room, consecutive seqs, waiting for the commit. */
export interface PendingChunk {
  readonly room: string;
  readonly firstSeq: number;
  firstTs: number;
  lastTs: number;
  readonly lines: LineRef[];
  bytes: number;
}

/**
 * The chunk's lines as one Buffer, for the insert (SQLite copies what it binds). A room's
 * lines of one turn usually sit end to end in its slab (line-slab.ts): then a view, no copy;
 * otherwise one copy per run of adjacent lines.
 */
export function chunkBytes(chunk: PendingChunk): Buffer {
  const lines = chunk.lines;
  const first = lines[0]!;
  let contiguous = true;
  for (let i = 1; i < lines.length && contiguous; i++) {
    contiguous = lines[i]!.buf === first.buf && lines[i]!.start === lines[i - 1]!.end;
  }
  if (contiguous) return first.buf.subarray(first.start, first.start + chunk.bytes);
  const out = Buffer.allocUnsafe(chunk.bytes);
  let at = 0;
  let runStart = first;
  let runEnd = first.end;
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
  return out;
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
