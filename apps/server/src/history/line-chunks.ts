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

/** Most lines in one chunk: bounds what a read or a replace must load to reach one line. */
export const MAX_CHUNK_LINES = 256;

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
