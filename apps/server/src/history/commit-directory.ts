/**
 * The directory at the head of a commit record (log-files.ts): for each room of the turn, its
 * seqs, times and how many of the record's bytes its lines take, in the order the lines follow.
 *
 *   binary (written):  u8 1 │ per run: u8 room length │ room (UTF-8) │ f64 first seq │ u32 count
 *                      │ f64 first ts │ f64 last ts │ u32 bytes          (little-endian)
 *   JSON (read only):  [[room, firstSeq, count, firstTs, lastTs, bytes], …]   (starts with '[')
 *
 * Why binary: a directory is written every turn, about one entry per two messages in a workload
 * of many rooms, and the JSON form cost a string per entry and its encoding into the record.
 * With this form and one Run object per room per turn (now columns: turn-runs.ts) in place of three, the
 * store alone (bench/workers/store-alone-worker.js sqlite 500 1000 600000 170000, 3 rounds)
 * went from 5.3–6.0 to 4.2–4.4 µs of CPU per message, 2.7 of them the harness's own. The JSON
 * form is what loopchat wrote before; a data dir's log files from then are still read at open.
 */
import type { Segment } from './commit-log.js';

const BINARY = 1;
/** Bytes of an entry besides its room name. */
const ENTRY_FIXED = 1 + 8 + 4 + 8 + 8 + 4;

/** What a directory is written from: the runs of the turn, by index (turn-runs.ts). */
export interface DirectorySource {
  readonly length: number;
  room(i: number): string;
  firstSeq(i: number): number;
  count(i: number): number;
  firstTs(i: number): number;
  lastTs(i: number): number;
  /** Bytes of its lines. */
  size(i: number): number;
}

/** Bytes of the directory of `runs`. Throws for a room name over 255 bytes (names are at most 32). */
export function directoryBytes(runs: DirectorySource): number {
  let bytes = 1;
  for (let i = 0; i < runs.length; i++) bytes += ENTRY_FIXED + nameBytes(runs.room(i));
  return bytes;
}

/** Writes the directory of `runs` into `out` at `at`; returns where it ends. */
export function writeDirectory(runs: DirectorySource, out: Buffer, at: number): number {
  out[at++] = BINARY;
  for (let r = 0; r < runs.length; r++) {
    const room = runs.room(r);
    const start = at++;
    // Room names are ASCII (ROOM_PATTERN): byte stores, not Buffer.write's per-call cost.
    let ascii = true;
    for (let i = 0; i < room.length; i++) {
      const c = room.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      out[at + i] = c;
    }
    const length = ascii ? room.length : out.write(room, at, 'utf8');
    out[start] = length;
    at += length;
    at = out.writeDoubleLE(runs.firstSeq(r), at);
    at = out.writeUInt32LE(runs.count(r), at);
    at = out.writeDoubleLE(runs.firstTs(r), at);
    at = out.writeDoubleLE(runs.lastTs(r), at);
    at = out.writeUInt32LE(runs.size(r), at);
  }
  return at;
}

/** The entries of the directory in `bytes[start, end)`, binary or JSON. Throws if it is neither. */
export function readDirectory(bytes: Buffer, start: number, end: number): Segment[] {
  if (bytes[start] === 0x5b /* [ */) return JSON.parse(bytes.toString('utf8', start, end)) as Segment[];
  if (bytes[start] !== BINARY) throw new Error(`unknown commit directory format ${bytes[start]}`);
  const out: Segment[] = [];
  for (let at = start + 1; at < end;) {
    const length = bytes[at++]!;
    const room = bytes.toString('utf8', at, at + length);
    at += length;
    out.push([
      room,
      bytes.readDoubleLE(at),
      bytes.readUInt32LE(at + 8),
      bytes.readDoubleLE(at + 12),
      bytes.readDoubleLE(at + 20),
      bytes.readUInt32LE(at + 28),
    ]);
    at += ENTRY_FIXED - 1;
  }
  return out;
}

function nameBytes(room: string): number {
  let ascii = true;
  for (let i = 0; i < room.length && ascii; i++) ascii = room.charCodeAt(i) < 0x80;
  const bytes = ascii ? room.length : Buffer.byteLength(room);
  if (bytes > 255) throw new Error(`room name of ${bytes} bytes in a commit (at most 255)`);
  return bytes;
}
