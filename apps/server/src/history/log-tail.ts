/**
 * Follows the commit log's files (log-files.ts) as another process writes them: each read()
 * returns the records written since the last one, oldest first. The history keeper
 * (history-keeper.ts) reads the cluster primary's commits this way, so nothing but the bytes
 * already on their way to disk passes between the two: no copy over a pipe, no message per turn.
 *
 * The writer appends whole records to the newest file and starts a new file only after the
 * last record of the one before is written (or was cut back after a failed write), so a torn
 * record at the end of a file is one still being written if that file is the newest, and
 * garbage if a newer one exists. A file may be deleted under the tail once every commit in it
 * is folded: it goes on with the next one.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { listLogFiles, readRecords } from './log-files.js';

export class LogTail {
  readonly #dir: string;
  /** The file being followed (its number) and how far its records have been read. */
  #number = 0;
  #offset = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The records written since the last call (every intact one at the first call). */
  read(): Buffer[] {
    const payloads: Buffer[] = [];
    for (;;) {
      const files = listLogFiles(this.#dir).map((path) => ({ path, number: parseInt(basename(path), 10) }));
      const at = files.findIndex((f) => f.number >= this.#number);
      if (at < 0) return payloads;
      const file = files[at]!;
      if (file.number !== this.#number) {
        this.#number = file.number;
        this.#offset = 0;
      }
      const bytes = readFrom(file.path, this.#offset);
      if (bytes !== undefined) this.#offset += readRecords(bytes, payloads);
      // A newer file: this one is complete (what is left of it, if anything, was torn).
      if (at === files.length - 1) return payloads;
      this.#number++;
      this.#offset = 0;
    }
  }
}

/** The bytes of `path` from `offset` on (undefined if it is gone). */
function readFrom(path: string, offset: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return undefined;
    const bytes = Buffer.allocUnsafe(size - offset);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
