/**
 * The history keeper: a process of its own, beside the cluster primary, that keeps the SQLite
 * history file up to date with the primary's commits (keeper-process.ts starts it).
 *
 * Why: a message's way through the primary is sequencing and one write() of its turn's
 * commit record; making that record queryable (folding a room's lines into chunks, retention,
 * checkpoints) is SQLite's work, and it cost the primary as much again: with 4 synthetic
 * workers (bench/workers/primary-host.js 4 5 500 4 1000 150 sqlite) 2.90–3.04 µs of CPU per
 * message, against 2.00–2.24 with the fold switched off (temporary, 3 interleaved rounds).
 * Every message of the cluster passes through the primary's one core; the fold need not.
 *
 *   primary ──write()──▶ loopchat-log/N.log ──read()──▶ keeper ──fold──▶ loopchat.db
 *   primary ◀───────── {folded: [[room, seq]…], durable} (IPC) ───────── keeper
 *
 * The keeper follows the log files (log-tail.ts), folds what is due as the primary's own
 * store would (sqlite-store.ts, role 'keeper'), checkpoints, and tells the primary which
 * rooms are folded through which seq: the primary then forgets those runs and deletes the
 * log files whose commits are all folded and durable. It also sweeps retention and makes
 * backups (POST /admin/backup). It keeps nothing the file does not: killed at any moment,
 * its transaction rolls back, and the one started next reads the log files from the first.
 *
 *   node history-keeper.js '<SqliteStoreOptions as JSON>'
 */
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { FromKeeper, ToKeeper } from './keeper-process.js';

/** How often it looks for new commits. */
const POLL_MS = 50;

const options = JSON.parse(process.argv[2] ?? '{}') as SqliteStoreOptions;
/**
 * To the primary. With a callback, a send that fails (the primary died between this process's
 * last read of the channel and this write: EPIPE) reports to it instead of throwing from the
 * process's 'error' event, which printed a stack trace over the primary's output as the
 * keeper exited; the 'disconnect' that follows ends the keeper as it should.
 */
const send = (m: FromKeeper): void => {
  if (process.connected) process.send?.(m, undefined, undefined, ignoreSendError);
};
function ignoreSendError(): void {}

let store: SqliteStore;
try {
  store = new SqliteStore(options, {
    kind: 'keeper',
    onFolded: (folded, durable) => send({ t: 'folded', folded, durable }),
  });
} catch (err) {
  send({ t: 'failed', error: (err as Error).message });
  process.exit(1);
}

function step(): void {
  try {
    store.keep(Date.now());
  } catch (err) {
    // A full disk, a damaged file: the primary logs it, and folds by itself if this falls behind.
    send({ t: 'failed', error: (err as Error).message });
  }
}

const timer = setInterval(step, POLL_MS);

process.on('message', (m: ToKeeper) => {
  if (m.t !== 'backup') return;
  step();
  store.backup().then(
    (file) => send({ t: 'backup', id: m.id, file }),
    (err: Error) => send({ t: 'backup', id: m.id, error: err.message }),
  );
});

/** The primary is gone (or closing): nothing here is left to save. */
function leave(): void {
  clearInterval(timer);
  store.close();
  process.exit(0);
}
process.on('disconnect', leave);
// A primary that died while this process started (a cluster that could not bind its port exits
// at once) closed the channel before that listener was added: its 'disconnect' came and went,
// and the keeper stayed behind, polling forever.
if (!process.connected) leave();
