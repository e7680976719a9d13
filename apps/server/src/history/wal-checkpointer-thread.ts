/**
 * The WAL checkpointer's thread (wal-checkpointer.ts starts it): a connection of its own to the
 * history file, and on each request one `wal_checkpoint(PASSIVE)`, whose fsyncs and copies
 * then hold this thread, not the event loop that serves clients.
 *
 *   owner ──{t:'checkpoint'}──▶ thread: wal_checkpoint(PASSIVE) ──{t:'checkpointed', complete}──▶ owner
 *   owner ──{t:'close'}───────▶ thread: closes its connection, sets `closed[0]`, wakes the owner
 *
 * PASSIVE never takes the write lock and never waits: the owner's commits and folds go on
 * while it copies. `complete` only when every frame the WAL held as it began is now in the
 * database file: SQLite syncs the WAL before it copies and the file after, so a fold
 * committed before the request is then safe from a power loss (log-files.ts waits for that).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { checkpointWal, type FromCheckpointer, type ToCheckpointer } from './wal-checkpointer.js';

const { path, closed } = workerData as { path: string; closed: Int32Array };
const port = parentPort!;

function send(m: FromCheckpointer): void {
  port.postMessage(m);
}

/** Tells a close() waiting on `closed` that this connection is gone (or never was). */
function done(): void {
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  port.close();
}

/** The connection, or undefined (the owner heard why, and checkpoints on its own loop). */
function openFile(): Database.Database | undefined {
  try {
    const db = new Database(path, { fileMustExist: true, timeout: 0 });
    db.pragma('wal_autocheckpoint = 0'); // it never writes; and the owner decides when
    return db;
  } catch (err) {
    send({ t: 'failed', error: (err as Error).message });
    done();
    return undefined;
  }
}

const db = openFile();
if (db !== undefined) {
  port.on('message', (m: ToCheckpointer) => {
    if (m.t === 'close') {
      db.close();
      done();
      return;
    }
    try {
      send({ t: 'checkpointed', complete: checkpointWal(db) });
    } catch {
      send({ t: 'checkpointed', complete: false }); // a full disk, say: the owner asks again
    }
  });
}
