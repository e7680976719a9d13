/**
 * The SQLite store's commit log on disk: append-only files beside the database, one record per
 * commit (group commit: a turn's lines, whatever their rooms), written with one write() call.
 *
 * Why not a row of a SQLite table: an INSERT is a transaction, and in WAL mode a transaction
 * writes whole pages (a 16 KiB leaf rewritten by every commit that adds to it, its checksum,
 * the WAL index) and its row is deleted again once folded, which writes it once more. Measured
 * on this machine, one commit of a 5 KB turn: 42–48 µs of CPU as an INSERT, 5 µs as a write()
 * to a file; with 1–2 KB texts that commit was the largest share of the cluster primary's
 * time per message. The database keeps what it is good at (per-room chunks, indexed reads,
 * retention); this log only has to be appended to, read once at open, and deleted.
 *
 *   file:    <data dir>/loopchat-log/<number>.log, numbers rising; records end to end
 *   record:  u32 payload length │ u32 CRC-32 of the payload │ payload (LE)
 *   payload: u32 directory length │ directory (commit-directory.ts) │ lines
 *
 * Durability is the database's: with `synchronous = normal` a record is in the OS's page cache
 * once write() returns (it survives a crash or kill of the process, like SQLite's WAL in that
 * mode); with `full` each commit is also fdatasync'd. The CRC finds a record torn by a crash
 * mid-write (a kill can cut a multi-page write short) or by a power loss: reading stops there,
 * and that record was never acknowledged (its commit threw or never returned).
 *
 * A file goes once every commit in it is folded into the database and the database has been
 * made durable past that fold (`beforeDelete`, a checkpoint: so a power loss cannot keep the
 * deletion and lose the fold). The current file is left for a new one at FILE_BYTES, or
 * sooner once everything in it is folded.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';

export const LOG_DIR = 'loopchat-log';
/** Bytes before a record's payload: its length and its CRC-32. */
export const RECORD_HEADER = 8;
/** A file takes no more commits past this size (it is deleted once all of them are folded). */
const FILE_BYTES = 64 * 1024 * 1024;
/** A file whose commits are all folded is left for a new one past this size. */
const FOLDED_FILE_BYTES = 1024 * 1024;

interface LogFile {
  readonly path: string;
  /** Commit ids in this file: [firstId, lastId]. */
  readonly firstId: number;
  lastId: number;
  /** Its commits not yet folded. */
  live: number;
}

/** What the files left by the last run held: every intact record's payload, in commit order. */
export interface Recovered {
  readonly payloads: Buffer[];
  /** The files read (to delete once their commits are folded). */
  readonly paths: string[];
}

/** Reads every file in `dir` (none if it does not exist), oldest first. */
export function readLogFiles(dir: string): Recovered {
  const paths = listLogFiles(dir);
  const payloads: Buffer[] = [];
  for (const path of paths) readRecords(readFileSync(path), payloads);
  return { payloads, paths };
}

/**
 * Appends to `payloads` the intact records of `bytes` from its start, up to the first that is
 * torn (cut short by a crash, or not yet written in full) or zeros; returns where that one begins.
 */
export function readRecords(bytes: Buffer, payloads: Buffer[]): number {
  let at = 0;
  while (at + RECORD_HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + RECORD_HEADER + length;
    if (length === 0 || end > bytes.length) break; // torn (the write was cut short) or zeros
    const payload = bytes.subarray(at + RECORD_HEADER, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break; // torn (or a power loss's zeros)
    payloads.push(payload);
    at = end;
  }
  return at;
}

/** The log files in `dir`, oldest first (none if it does not exist). */
export function listLogFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((name) => /^\d+\.log$/.test(name))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((name) => join(dir, name));
}

export class LogFiles {
  readonly #dir: string;
  readonly #sync: boolean;
  readonly #beforeDelete: () => void;
  readonly #fileBytes: number;
  /** Oldest first; the last is the one appended to. */
  readonly #files: LogFile[] = [];
  #fd = -1;
  #size = 0;
  #nextNumber: number;
  #nextId = 1;
  /** Where the last record appended begins in its file. */
  #lastAt = 0;

  /**
   * Appends to new files in `dir`, numbered after any left there (readLogFiles; deleteFiles
   * once they are folded). `sync`: fdatasync each record. Commit ids start at 1.
   */
  constructor(dir: string, options: { sync: boolean; beforeDelete: () => void; fileBytes?: number }) {
    this.#dir = dir;
    this.#fileBytes = options.fileBytes ?? FILE_BYTES;
    this.#sync = options.sync;
    this.#beforeDelete = options.beforeDelete;
    mkdirSync(dir, { recursive: true });
    const existing = listLogFiles(dir);
    this.#nextNumber = existing.length === 0 ? 1 : parseInt(basename(existing[existing.length - 1]!), 10) + 1;
  }

  /**
   * A buffer for a record of `payloadBytes`: the caller fills `[RECORD_HEADER, end)` and
   * passes it to append().
   */
  static allocate(payloadBytes: number): Buffer {
    return Buffer.allocUnsafe(RECORD_HEADER + payloadBytes);
  }

  /** Writes `record` (from allocate(), payload filled in) and returns its commit id. Throws if it is not written. */
  append(record: Buffer): number {
    const current = this.#files[this.#files.length - 1];
    if (
      current === undefined ||
      this.#fd < 0 || // a failed write left the file closed
      this.#size >= this.#fileBytes ||
      (current.live === 0 && this.#size >= Math.min(FOLDED_FILE_BYTES, this.#fileBytes))
    ) {
      this.#startFile();
    }
    record.writeUInt32LE(record.length - RECORD_HEADER, 0);
    record.writeUInt32LE(crc32(record.subarray(RECORD_HEADER)), 4);
    const start = this.#size;
    try {
      // At explicit offsets: after a failed write is cut back, the next record starts where it
      // started, not where the file position was left (a hole of zeros would end the recovery).
      for (let at = 0; at < record.length;) at += writeSync(this.#fd, record, at, record.length - at, start + at);
      if (this.#sync) fdatasyncSync(this.#fd);
    } catch (err) {
      try {
        ftruncateSync(this.#fd, start); // no torn record before the next one
      } catch {
        this.#fd = closeQuietly(this.#fd); // then the next commit starts a new file
      }
      throw err;
    }
    this.#size = start + record.length;
    this.#lastAt = start;
    const file = this.#files[this.#files.length - 1]!;
    const id = this.#nextId++;
    file.lastId = id;
    file.live++;
    return id;
  }

  /** Where the record append() wrote last begins in its file. */
  get lastAt(): number {
    return this.#lastAt;
  }

  /**
   * `length` bytes at `position` of the file holding commit `id` (one not yet released: its
   * file is still there). For a store that does not keep its records in memory.
   */
  read(id: number, position: number, length: number): Buffer {
    const index = this.#files.findIndex((f) => id >= f.firstId && id <= f.lastId);
    if (index < 0) throw new Error(`commit ${id} is in no log file`);
    const current = index === this.#files.length - 1 && this.#fd >= 0;
    const fd = current ? this.#fd : openSync(this.#files[index]!.path, 'r');
    try {
      const bytes = Buffer.allocUnsafe(length);
      for (let got = 0; got < length;) {
        const n = readSync(fd, bytes, got, length - got, position + got);
        if (n === 0) throw new Error(`log file ${this.#files[index]!.path} ends before commit ${id}'s lines`);
        got += n;
      }
      return bytes;
    } finally {
      if (!current) closeSync(fd);
    }
  }

  /** The commits `ids` are folded into the database: files left with none go. */
  release(ids: readonly number[]): void {
    for (const id of ids) {
      const file = this.#files.find((f) => id >= f.firstId && id <= f.lastId);
      if (file !== undefined) file.live--;
    }
    this.#deleteFolded();
  }

  /** `deleteFolded`: every commit is folded (the store is closing): the files go, the current one too. */
  close(deleteFolded: boolean): void {
    this.#fd = closeQuietly(this.#fd);
    if (deleteFolded) this.deleteFiles(this.#files.splice(0).map((f) => f.path));
  }

  /** Deletes `paths` (a previous run's files, all folded): the database is made durable first. */
  deleteFiles(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.#beforeDelete();
    for (const path of paths) rmSync(path, { force: true });
  }

  #startFile(): void {
    this.#fd = closeQuietly(this.#fd);
    const path = join(this.#dir, `${this.#nextNumber++}.log`);
    this.#fd = openSync(path, 'wx+'); // + : a sequencer reads its unfolded lines back (read())
    this.#size = 0;
    if (this.#sync) syncDir(this.#dir); // the new name survives a power loss too
    this.#files.push({ path, firstId: this.#nextId, lastId: this.#nextId - 1, live: 0 });
    this.#deleteFolded();
  }

  /** Deletes the files, other than the current one, whose commits are all folded. */
  #deleteFolded(): void {
    const done: string[] = [];
    for (let i = 0; i < this.#files.length - 1; i++) {
      if (this.#files[i]!.live === 0) done.push(this.#files.splice(i--, 1)[0]!.path);
    }
    this.deleteFiles(done);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function closeQuietly(fd: number): number {
  if (fd >= 0) {
    try {
      closeSync(fd);
    } catch {
      // Closing a file we are done with: nothing to keep from it.
    }
  }
  return -1;
}
