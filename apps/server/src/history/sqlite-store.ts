/**
 * `--history sqlite` (the default): history in one SQLite file, `loopchat.db` under the data
 * dir, through better-sqlite3 (synchronous calls: a commit is one call at the end of a turn,
 * no thread hop, no promise per message).
 *
 * - WAL journal: a commit appends to the log instead of rewriting pages, and readers (history
 *   answers) never wait for it.
 * - `synchronous`: NORMAL by default, which in WAL mode keeps every commit through a crash or
 *   kill of the process (the log is in the OS's page cache) but not through a power loss or a
 *   kernel crash; FULL (`--history-sync full`) syncs the log on each commit, so an ack then
 *   also survives a power loss, at the cost of one fsync per turn.
 * - The data dir's lock file (`loopchat.lock`, held from open to close): a second server
 *   started on the same dir fails at once with a clear error instead of two processes handing
 *   out the same seqs. Not the file's own exclusive locking mode: the file has other
 *   connections of ours (a keeper's, or the WAL checkpointer's thread).
 * - Checkpoints off the loop: the WAL is copied into the file by a thread of its own
 *   (wal-checkpointer.ts), or by the cluster's keeper, never by the commit that filled it.
 * - Appends are buffered and written by commit() (group commit: the bus calls it once per
 *   event-loop turn) as ONE record of the commit log whatever the rooms: a write() to a file
 *   beside the database (log-files.ts), not a transaction; a room's lines are folded in the
 *   background into chunks of that room (line-chunks.ts) once it has a full chunk's worth or
 *   its oldest has waited FOLD_AFTER_MS: per message, a row of its own (with its index
 *   entry, and its deletion later) cost more than all the rest of a message's way through the
 *   server. At open, what the log holds past the last fold is folded before anything else.
 */
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { LineRef } from '../core/line-slab.js';
import { CommitTimes, type CommitStats } from './commit-times.js';
import { HistoryStoreError } from './errors.js';
import type { HistoryQuery, HistoryStore } from './history-store.js';
import { CommitLog, Run, runLines, type Segment } from './commit-log.js';
import { TurnRuns } from './turn-runs.js';
import { directoryBytes, readDirectory, writeDirectory } from './commit-directory.js';
import { LOG_DIR, LogFiles, RECORD_HEADER, readLogFiles } from './log-files.js';
import { LogTail } from './log-tail.js';
import { SqliteReadMarkers } from './sqlite-read-markers.js';
import { MAX_CHUNK_LINES, splitLines } from './line-chunks.js';
import { WalCheckpointer, checkpointWal } from './wal-checkpointer.js';
import { APPLICATION_ID, MIGRATE_V1, SCHEMA, SCHEMA_VERSION, SQL, prepareAll, type Prepared } from './sqlite-schema.js';

export const HISTORY_FILE = 'loopchat.db';
/** Chunks one retention step deletes at most: a few ms, never a stalled turn. */
const SWEEP_STEP_ROWS = 200;
/**
 * A room is trimmed once this many seqs are past its count: fewer, larger deletes (a delete
 * statement per room per commit cost as much as the inserts). Reads never show them anyway.
 */
const TRIM_SLACK = 128;
/**
 * What one fold step moves from the log into chunks, about (whole rooms), whichever limit comes
 * first: a few ms, and the turn waits for it. Bytes as well as lines: with 1–2 KB texts 8,192
 * lines were 12 MB a step, and a 2-worker cluster's latency p99 at 10k msgs/s (500 rooms × 4,
 * every member a sender) was 70–121 ms; with steps of 1 MiB, 36–56 ms, the CPU no higher (whole
 * tree 87–100 against 89–110 µs/msg; 4 interleaved rounds each, /proc over 5 s).
 */
const FOLD_STEP = 8192;
const FOLD_STEP_BYTES = 1024 * 1024;
/**
 * The same for a sweep step of the one process that serves clients and folds (the owner): its
 * clients wait for each step. A room folds when its oldest line is a second old, so at 4k
 * msgs/s in 50 rooms every room came due in the same sweep every 2 s, and a step of FOLD_STEP
 * lines held the event loop for 24–56 ms each time (the scale command, p99 < 50 ms, sustained
 * 3.75k–7.5k msgs/s where memory history held 22k). Steps of ~1,000 lines take a few ms, one
 * per turn (retention-sweep.ts), for the same CPU. (SQLite's WAL checkpoint, which held it
 * 80–105 ms every ~16 MB of WAL, runs in a thread since: wal-checkpointer.ts.) A keeper, a
 * process of its own, folds in the larger steps.
 */
const OWNER_FOLD_STEP = 1024;
const OWNER_FOLD_STEP_BYTES = 128 * 1024;
/** A room's unfolded lines wait this long at most (give or take the sweep's second). */
const FOLD_AFTER_MS = 1_000;
/**
 * A chunk spans this much time at most: age retention deletes whole chunks, so this is how
 * long a line may outlive --history-max-age (a fold gathers up to ~2 s of a room anyway).
 */
const MAX_CHUNK_SPAN_MS = 5_000;
/** Unfolded messages past which a commit folds a step itself (a sweep that cannot keep up). */
const MAX_UNFOLDED = 8 * FOLD_STEP;
/**
 * The same for a sequencer whose keeper folds: the keeper folds a room once it has a full
 * chunk or has waited FOLD_AFTER_MS, so a busy primary holds a few chunks per room (500 rooms
 * at 350k msgs/s: ~100k lines); past this the keeper is behind (or gone) and the primary folds.
 */
const KEEPER_BEHIND = 32 * FOLD_STEP;
/** Fold and retention steps a keeper takes at most per look at the log (each a few ms). */
const KEEPER_STEPS = 50;
/** Bytes a keeper folds before it checkpoints, at the latest (SQLite's own default is ~16 MB of WAL). */
const CHECKPOINT_BYTES = 16 * 1024 * 1024;

interface ChunkRow {
  first_seq: number;
  lines: Buffer;
}

interface LegacyLogRow {
  segments: string;
  lines: Buffer;
}

/** Lines of consecutive seqs from `firstSeq`: a stored chunk or an unfolded run. */
interface Piece {
  readonly firstSeq: number;
  readonly lines: Buffer;
}

const NEWLINE = Buffer.from('\n');
/** The bytes of a run whose lines are read back from its log file (a sequencer's, #runLines). */
const IN_LOG_FILE = Buffer.alloc(0);

export interface SqliteStoreOptions {
  dataDir: string;
  /** Messages kept per room (older ones go in the background). */
  historySize: number;
  /** Messages older than this go in the background; 0 = no age limit. */
  maxAgeMs: number;
  synchronous: 'normal' | 'full';
}

/**
 * Who folds (history-keeper.ts):
 *
 *   owner      the one process that opens the file: it sequences, folds and sweeps (the
 *              default); a thread of its own checkpoints (wal-checkpointer.ts)
 *   sequencer  the cluster primary when a keeper folds for it: it appends and commits, reads,
 *              writes metadata and markers, and folds only a room a moderator edits, what is
 *              left at close, or when the keeper falls far behind
 *   keeper     the keeper process: it follows the sequencer's log files, folds them, sweeps
 *              retention and answers backups; `onFolded` hears each fold
 *
 * A sequencer and its keeper share the file (WAL, not exclusive). Either may fold a room's
 * runs: each fold skips, in its transaction, what the room's recorded last seq says is done.
 * An owner or a sequencer holds `loopchat.lock`, which keeps a second server out.
 */
export type StoreRole =
  | { readonly kind: 'owner'; readonly warn?: (message: string) => void }
  | { readonly kind: 'sequencer' }
  | { readonly kind: 'keeper'; readonly onFolded: (folded: FoldedRooms, durable: boolean) => void };

/** [room, the seq it is folded through] of each room one fold took. */
export type FoldedRooms = [room: string, seq: number][];

/** What a sequencer asks of its keeper besides folding (keeper-process.ts). */
export interface Keeper {
  backup(): Promise<string>;
  /** Stops it at once (its work is transactions: whatever it was doing is rolled back). */
  close(): void;
}

const LOCK_FILE = 'loopchat.lock';
/** How long a sequencer's write waits for the keeper's transaction (a fold step is a few ms). */
const SHARED_BUSY_TIMEOUT_MS = 5_000;

type Statements = Prepared<typeof SQL>;

/** SQLite's own automatic checkpoint, in WAL pages: the owner's fallback when its thread cannot. */
const AUTO_CHECKPOINT_PAGES = 1000;

export class SqliteStore implements HistoryStore {
  readonly kind = 'sqlite';
  readonly durable = true;
  /** Lines are copied into the commit record (and read back from it, or from the log file). */
  readonly keepsLines = false;
  readonly readMarkers: SqliteReadMarkers;
  readonly epoch: string;
  /** The file, as an absolute path (errors and logs name it). */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #historySize: number;
  readonly #maxAgeMs: number;
  /** The batch of this turn: a run per room (more when one fills a chunk), in order. */
  readonly #turn = new TurnRuns();
  /** Committed lines not yet folded into chunks. */
  readonly #log = new CommitLog();
  /** Where commits are written (the log's lines are there until folded). */
  readonly #files: LogFiles;
  /** Rooms whose trim in a fold met the step limit: the sweep deletes the rest. */
  readonly #toTrim = new Set<string>();
  /** room → the seq its count retention last deleted up to (this process) */
  readonly #trimmedTo = new Map<string, number>();
  readonly #times = new CommitTimes();
  readonly #role: StoreRole;
  /** Not the file's only user: folds check what is done already (see StoreRole). */
  readonly #shared: boolean;
  /** The hold on the data dir that keeps a second server out (see StoreRole); not a keeper's. */
  readonly #lock: Database.Database | undefined;
  #keeper: Keeper | undefined;
  /** Owner: the thread that checkpoints (undefined: this loop does, as SQLite's default). */
  #checkpointer: WalCheckpointer | undefined;
  /** Folded since the last checkpoint by this loop, where another makes folds durable: a log file may go only after one. */
  #ownFolds = false;
  /** Commits a fold emptied (a keeper's, or the owner's with a checkpointer), not yet known durable: their files wait. */
  #undurable: number[] = [];
  /** Owner: those of them the checkpoint under way makes durable. */
  #checkpointing: number[] = [];
  /** The keeper's follower of the log files; null for the others. */
  readonly #tail: LogTail | null;
  /** room → the seq it is folded through, as last seen (to skip at recovery and a keeper's ingest). */
  readonly #foldedSeen = new Map<string, number>();
  #nextIngestId = 0;
  /** Keeper: folds not yet made durable by a checkpoint, and about how many bytes they took. */
  #undurableFolds = false;
  #sinceCheckpoint = 0;
  #nextSweep = 0;
  /** A sequencer's buffer for its commit records (#recordBuffer). */
  #record: Buffer = Buffer.alloc(0);

  /** Opens (or creates) the file; throws HistoryStoreError with a message naming it. */
  constructor(options: SqliteStoreOptions, role: StoreRole = { kind: 'owner' }) {
    const dir = resolve(options.dataDir);
    this.path = join(dir, HISTORY_FILE);
    this.#historySize = options.historySize;
    this.#maxAgeMs = options.maxAgeMs;
    this.#role = role;
    this.#shared = role.kind !== 'owner';
    prepareDir(dir);
    this.#lock = role.kind === 'keeper' ? undefined : takeLock(join(dir, LOCK_FILE), this.path);
    let db: Database.Database;
    try {
      // timeout 0: a file locked by another server is an error now, not a wait.
      db = new Database(this.path, { timeout: 0 });
    } catch (err) {
      this.#lock?.close();
      throw openError(this.path, err);
    }
    try {
      this.epoch = initialise(db, options.synchronous);
      // Opened: from now on the other of the pair may hold the write lock for a fold step. (Not
      // the owner: nothing of ours writes to its file but itself, and a write of someone else's,
      // a sqlite3 shell say, should fail the fold it meets, tried again a second later, not hold
      // the event loop.)
      if (this.#shared) db.pragma(`busy_timeout = ${SHARED_BUSY_TIMEOUT_MS}`);
      this.#sql = prepareAll(db, SQL, ['lastSeq', 'getMeta', 'getRoomMeta']);
      this.readMarkers = new SqliteReadMarkers(db);
    } catch (err) {
      db.close();
      this.#lock?.close();
      throw openError(this.path, err);
    }
    this.#db = db;
    const logDir = join(dir, LOG_DIR);
    if (role.kind === 'keeper') {
      this.#tail = new LogTail(logDir);
      this.#files = null as unknown as LogFiles; // never written: the sequencer writes them
      return;
    }
    this.#tail = null;
    try {
      const left = readLogFiles(logDir);
      this.#files = new LogFiles(logDir, {
        sync: options.synchronous === 'full',
        beforeDelete: () => {
          // A keeper or the checkpointer made the other folds durable before their files were released.
          if ((this.#shared || this.#checkpointer !== undefined) && !this.#ownFolds) return;
          this.#ownFolds = false;
          this.#db.pragma('wal_checkpoint(PASSIVE)');
        },
      });
      this.#recover(left.payloads);
      this.#files.deleteFiles(left.paths);
    } catch (err) {
      db.close();
      this.#lock?.close();
      throw openError(this.path, err);
    }
    if (role.kind === 'owner') this.#startCheckpointer(role.warn);
  }

  /** Owner: checkpoints from now on in a thread; if none can start, SQLite's on this loop. */
  #startCheckpointer(warn: ((message: string) => void) | undefined): void {
    const onLoop = (reason: string): void => {
      this.#checkpointer = undefined;
      if (!this.#db.open) return;
      warn?.(`${reason}; checkpoints run on the event loop`);
      this.#db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      const ids = this.#checkpointing.concat(this.#undurable);
      this.#checkpointing = [];
      this.#undurable = [];
      this.#ownFolds = true; // beforeDelete checkpoints here, now
      this.#files.release(ids);
    };
    try {
      this.#checkpointer = new WalCheckpointer(this.path, {
        checkpointed: (complete) => this.#checkpointed(complete),
        failed: onLoop,
      });
    } catch (err) {
      onLoop(`the WAL checkpointer cannot start: ${describe(err)}`);
    }
  }

  /** Owner: asks its thread for a checkpoint of what this loop folded so far (unless one is under way). */
  #requestCheckpoint(): void {
    if (this.#checkpointer?.request() !== true) return;
    this.#checkpointing = this.#undurable;
    this.#undurable = [];
    this.#sinceCheckpoint = 0;
  }

  /** Owner: a checkpoint ended; complete, the log files of the folds it covered may go. */
  #checkpointed(complete: boolean): void {
    const ids = this.#checkpointing;
    this.#checkpointing = [];
    if (!this.#db.open) return;
    if (complete) this.#files.release(ids);
    else this.#undurable = ids.concat(this.#undurable); // the next one covers them
  }

  /** A sequencer's keeper (keeper-process.ts): folds, retention and backups are its from now on. */
  attachKeeper(keeper: Keeper): void {
    this.#keeper = keeper;
  }

  /**
   * Sequencer: the keeper folded these rooms (and made that durable, or not yet): their runs
   * leave memory, and the log files left with no unfolded commit go once it is durable.
   */
  foldedElsewhere(folded: FoldedRooms, durable: boolean): void {
    for (const [room, seq] of folded) for (const id of this.#log.foldedThrough(room, seq)) this.#undurable.push(id);
    if (!durable || this.#undurable.length === 0) return;
    const ids = this.#undurable;
    this.#undurable = [];
    this.#files.release(ids);
  }

  /** Keeper: takes in what the sequencer committed since the last call. */
  ingest(): void {
    this.#takeIn(this.#tail!.read(), () => ++this.#nextIngestId);
  }

  /**
   * Keeper: one look at the log files, every POLL (history-keeper.ts). Folds as the one-process
   * store does, in the same batches: the rooms due and retention once a second (sweep), and in
   * between, while a step's worth of lines is waiting, the rooms with a full chunk (what a
   * saturated primary writes faster than a second's sweep would take). A fold is made durable
   * by a checkpoint once a second, or sooner after CHECKPOINT_BYTES of folds, and then the
   * sequencer hears it may delete the log files behind it. Folding each look's few due rooms
   * with a checkpoint apiece cost the 2-worker cluster ~20 % more CPU per message at 16k msgs/s
   * (bench scaling floor: 1.19–1.31× one process against 1.01–1.14× in the last full run).
   */
  keep(now: number): void {
    this.ingest();
    let steps = KEEPER_STEPS;
    while (steps-- > 0 && this.#log.messages >= FOLD_STEP) {
      const full = this.#log.due(-Infinity, FOLD_STEP, FOLD_STEP_BYTES);
      if (full.length === 0) break;
      this.#fold(full);
    }
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + FOLD_AFTER_MS;
      while (steps-- > 0 && this.sweep(now));
      if (this.#undurableFolds) this.#checkpoint();
    } else if (this.#sinceCheckpoint >= CHECKPOINT_BYTES) this.#checkpoint();
  }

  /** Keeper: makes its folds durable (the WAL synced and copied into the file) and says so. */
  #checkpoint(): void {
    if (!checkpointWal(this.#db)) return; // frames left (a reader, the other's checkpoint): the next one
    this.#sinceCheckpoint = 0;
    this.#undurableFolds = false;
    if (this.#role.kind === 'keeper') this.#role.onFolded([], true);
  }

  /**
   * Folds what the last run committed but had not folded: the records of its log files (and
   * the rows of a version-3 file's `log` table), less the segments already folded (seq at or
   * below the room's recorded last seq). Their ids are negative: no file of this run's holds them.
   */
  #recover(payloads: readonly Buffer[]): void {
    let id = 0;
    const legacy = this.#db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'log'").pluck().get() === 1;
    if (legacy) {
      for (const row of this.#db
        .prepare('SELECT segments, lines FROM log ORDER BY id')
        .iterate() as Iterable<LegacyLogRow>) {
        this.#log.add(stored(JSON.parse(row.segments) as Segment[], --id, row.lines, 0), (r, s) => this.#isFolded(r, s));
      }
    }
    this.#takeIn(payloads, () => --id);
    this.#foldAll();
    this.#foldedSeen.clear();
    if (legacy) this.#db.exec('DROP TABLE log');
  }

  /** Takes in commit records read from the log files, less the runs the file says are folded. */
  #takeIn(payloads: readonly Buffer[], nextId: () => number): void {
    for (const payload of payloads) {
      const directory = payload.readUInt32LE(0);
      const segments = readDirectory(payload, 4, 4 + directory);
      this.#log.add(stored(segments, nextId(), payload, 4 + directory), (r, s) => this.#isFolded(r, s));
    }
  }

  /** Whether a run from `firstSeq` of `room` is folded already, as the file said when first asked. */
  #isFolded(room: string, firstSeq: number): boolean {
    let last = this.#foldedSeen.get(room);
    if (last === undefined) this.#foldedSeen.set(room, (last = (this.#sql.lastSeq.get(room) as number | undefined) ?? 0));
    return firstSeq <= last;
  }

  lastSeq(room: string): number {
    const open = this.#turn.lastSeq(room);
    if (open !== undefined) return open;
    const unfolded = this.#log.lastSeq(room);
    if (unfolded !== undefined) return unfolded;
    try {
      return (this.#sql.lastSeq.get(room) as number | undefined) ?? 0;
    } catch (err) {
      throw new HistoryStoreError('HISTORY_READ_FAILED', `${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  append(room: string, seq: number, ts: number, line: LineRef): void {
    this.#turn.append(room, seq, ts, line);
  }

  commit(): void {
    const turn = this.#turn;
    if (turn.length === 0) return;
    const started = performance.now();
    try {
      const bytes = turn.bytes;
      // The record: directory length, directory, then the lines (log-files.ts).
      const directory = directoryBytes(turn);
      const inFile = this.#role.kind === 'sequencer';
      const record = inFile ? this.#recordBuffer(4 + directory + bytes) : LogFiles.allocate(4 + directory + bytes);
      record.writeUInt32LE(directory, RECORD_HEADER);
      let at = writeDirectory(turn, record, RECORD_HEADER + 4);
      const linesAt = at;
      for (let i = 0; i < turn.length; i++) at = turn.copyLines(i, record, at);
      const id = this.#files.append(record);
      // A sequencer reads its unfolded lines back from the file (#runLines): the keeper folds
      // them, and a record kept in memory for each turn until then was tens of MB a second of
      // garbage (4 synthetic workers: 1.97–2.06 → 1.81–1.85 µs/msg reusing one buffer).
      this.#log.addTurn(turn, id, inFile ? IN_LOG_FILE : record, inFile ? this.#files.lastAt + linesAt : linesAt);
      this.#times.record(performance.now() - started, turn.messages);
    } catch (err) {
      throw new HistoryStoreError('HISTORY_WRITE_FAILED', `${this.path}: ${describe(err)}`, { cause: err });
    } finally {
      turn.reset();
    }
    if (this.#log.messages > (this.#keeper === undefined ? MAX_UNFOLDED : KEEPER_BEHIND)) {
      try {
        this.#fold(this.#log.due(Infinity, FOLD_STEP, FOLD_STEP_BYTES));
      } catch {
        // The lines stay in the log (durable) and in memory: the next sweep tries again.
      }
    }
  }

  /** A sequencer's record buffer, reused turn after turn (its bytes are in the file once written). */
  #recordBuffer(payloadBytes: number): Buffer {
    const length = RECORD_HEADER + payloadBytes;
    if (this.#record.length < length) this.#record = Buffer.allocUnsafeSlow(Math.max(length, 2 * this.#record.length));
    return this.#record.subarray(0, length);
  }

  /** A run's lines: a view of its record, or read from its log file (a sequencer's). */
  #runLines(run: Run): Buffer {
    return run.bytes === IN_LOG_FILE ? this.#files.read(run.commit, run.start, run.size) : runLines(run);
  }

  /**
   * Folds `rooms`, in one transaction: each room's unfolded lines become chunks of at most
   * MAX_CHUNK_LINES and its last seq is recorded; then the log files no other room needs go.
   * Throws (and the log keeps everything) on failure.
   */
  #fold(rooms: readonly string[]): void {
    if (rooms.length === 0) return;
    const sql = this.#sql;
    const folded: FoldedRooms = [];
    let bytes = 0;
    sql.begin.run();
    try {
      for (const room of rooms) {
        let runs = this.#log.runs(room);
        if (this.#shared) {
          // The other process may have folded some of them: the file says how far.
          const done = (sql.lastSeq.get(room) as number | undefined) ?? 0;
          const last = runs[runs.length - 1]!;
          folded.push([room, Math.max(done, last.firstSeq + last.count - 1)]);
          runs = runs.filter((run) => run.firstSeq > done);
          if (runs.length === 0) continue;
        }
        for (let i = 0; i < runs.length;) {
          let j = i + 1;
          let count = runs[i]!.count;
          const first = runs[i]!;
          while (
            j < runs.length &&
            count + runs[j]!.count <= MAX_CHUNK_LINES &&
            runs[j]!.lastTs - first.firstTs <= MAX_CHUNK_SPAN_MS
          ) {
            count += runs[j++]!.count;
          }
          const last = runs[j - 1]!;
          const lines =
            j === i + 1 ? this.#runLines(first) : Buffer.concat(runs.slice(i, j).map((run) => this.#runLines(run)));
          sql.insert.run(room, first.firstSeq, last.firstSeq + last.count - 1, first.firstTs, last.lastTs, lines);
          bytes += lines.length;
          i = j;
        }
        const last = runs[runs.length - 1]!;
        const seq = last.firstSeq + last.count - 1;
        sql.setLastSeq.run(room, seq);
        if (seq - this.#historySize - (this.#trimmedTo.get(room) ?? 0) >= TRIM_SLACK)
          this.#trim(room, seq - this.#historySize);
      }
      sql.commit.run();
    } catch (err) {
      if (this.#db.inTransaction) {
        try {
          sql.rollback.run();
        } catch {
          // The transaction is gone with the error (SQLite rolls back on SQLITE_FULL / IOERR).
        }
      }
      throw err;
    }
    const emptied = this.#log.folded(rooms);
    if (this.#role.kind === 'keeper') {
      for (const [room, seq] of folded) this.#foldedSeen.set(room, seq);
      this.#role.onFolded(folded, false);
      this.#undurableFolds = true;
      this.#sinceCheckpoint += bytes;
      return;
    }
    if (this.#checkpointer !== undefined) {
      for (const id of emptied) this.#undurable.push(id);
      this.#sinceCheckpoint += bytes;
      if (this.#sinceCheckpoint >= CHECKPOINT_BYTES) this.#requestCheckpoint();
      return;
    }
    this.#ownFolds = true;
    this.#files.release(emptied);
  }

  /**
   * Count retention for `room`: its chunks wholly at or below `keepAbove` go, SWEEP_STEP_ROWS at
   * most (the sweep takes the rest). In the fold's transaction: a delete of its own was a
   * transaction of its own, each rewriting the same pages (the table's and index's leaves, the
   * free-list trunk, the header) into the WAL for about one chunk: the primary alone (synthetic
   * workers, 150 B bodies) spent 0.84–0.97 ms per MB folded on deletes, and 0.48–0.49 this way
   * (3 interleaved rounds; the fold in all 3.1–3.3 → 2.7–2.8 ms/MB). And retention keeps pace
   * with the folds, where the sweep's 200 steps a second fell behind a saturated primary.
   */
  #trim(room: string, keepAbove: number): number {
    const deleted = keepAbove > 0 ? this.#sql.trimRoom.run(room, keepAbove, SWEEP_STEP_ROWS).changes : 0;
    // (Should the fold roll back, its deletes go with it: the room's next trim covers them.)
    if (deleted < SWEEP_STEP_ROWS) {
      this.#toTrim.delete(room);
      this.#trimmedTo.set(room, keepAbove);
    } else this.#toTrim.add(room);
    return deleted;
  }

  /** Folds every unfolded line (at open, before a backup, at close). */
  #foldAll(): void {
    this.#fold(this.#log.due(Infinity, Infinity));
  }

  /**
   * Copies the database while the server runs: better-sqlite3's backup() drives SQLite's
   * online backup API a hundred pages per event-loop turn, so chat goes on meanwhile (a
   * commit made during the copy restarts it: the copy is of one consistent instant). The
   * name is the store's to choose (no path from outside): `backups/loopchat-<UTC time>.db`.
   */
  async backup(): Promise<string> {
    // The keeper's connection is the one that writes in the background: a copy made through
    // another would start over at each of its folds.
    if (this.#keeper !== undefined) return this.#keeper.backup();
    const dir = join(dirname(this.path), 'backups');
    const file = join(dir, `loopchat-${new Date().toISOString().replace(/[:.]/g, '-')}.db`);
    try {
      this.#foldAll(); // the log's lines are not in the database yet
      mkdirSync(dir, { recursive: true });
      await this.#db.backup(file);
    } catch (err) {
      rmSync(file, { force: true });
      throw new HistoryStoreError('HISTORY_WRITE_FAILED', `backup to ${file}: ${describe(err)}`, { cause: err });
    }
    return file;
  }

  commitStats(): CommitStats {
    return this.#times.stats();
  }

  /**
   * Reads answer as if retention were already done (the sweep deletes whole chunks in the
   * background): only the newest historySize seqs of the room are ever returned.
   */
  read(room: string, query: HistoryQuery): Buffer[] {
    try {
      const floor = Math.max(0, this.lastSeq(room) - this.#historySize);
      if ('since' in query) return this.#forward(room, Math.max(floor, query.since), query.limit);
      if ('latest' in query) return this.#backward(room, floor, Number.MAX_SAFE_INTEGER, query.latest);
      return this.#backward(room, floor, query.before, query.limit);
    } catch (err) {
      throw new HistoryStoreError('HISTORY_READ_FAILED', `${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  /** The first `limit` lines with seq > after, oldest first. */
  #forward(room: string, after: number, limit: number): Buffer[] {
    const out: Buffer[] = [];
    if (limit <= 0) return out;
    for (const piece of this.#piecesAfter(room, after)) {
      const lines = splitLines(piece.lines);
      for (let i = Math.max(0, after + 1 - piece.firstSeq); i < lines.length; i++) {
        out.push(lines[i]!);
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  /** The last `limit` lines with floor < seq < before, oldest first. */
  #backward(room: string, floor: number, before: number, limit: number): Buffer[] {
    const out: Buffer[] = [];
    if (limit <= 0 || before <= floor + 1) return out;
    for (const piece of this.#piecesBefore(room, before)) {
      const lines = splitLines(piece.lines);
      for (let i = lines.length - 1; i >= 0; i--) {
        const seq = piece.firstSeq + i;
        if (seq >= before) continue;
        if (seq <= floor) return out.reverse();
        out.push(lines[i]!);
        if (out.length === limit) return out.reverse();
      }
    }
    return out.reverse();
  }

  /** Chunks, then unfolded runs, holding seqs > after, oldest first (all folded seqs precede the log's). */
  *#piecesAfter(room: string, after: number): Iterable<Piece> {
    const runs = this.#log.runs(room);
    if (runs.length === 0 || after + 1 < runs[0]!.firstSeq) {
      for (const row of this.#sql.forward.iterate(room, after) as Iterable<ChunkRow>) {
        // Folded by the keeper, but this process has not heard it yet: the runs have them.
        if (runs.length > 0 && row.first_seq >= runs[0]!.firstSeq) break;
        yield { firstSeq: row.first_seq, lines: row.lines };
      }
    }
    for (const run of runs) {
      if (run.firstSeq + run.count - 1 > after) yield { firstSeq: run.firstSeq, lines: this.#runLines(run) };
    }
  }

  /** Unfolded runs, then chunks, that may hold seqs < before, newest first. */
  *#piecesBefore(room: string, before: number): Iterable<Piece> {
    const runs = this.#log.runs(room);
    for (let r = runs.length - 1; r >= 0; r--) {
      const run = runs[r]!;
      if (run.firstSeq < before) yield { firstSeq: run.firstSeq, lines: this.#runLines(run) };
    }
    // The chunk holding before − 1 ends at most MAX_CHUNK_LINES − 1 seqs after it.
    const bound = Math.min(Number.MAX_SAFE_INTEGER, before + MAX_CHUNK_LINES);
    for (const row of this.#sql.backward.iterate(room, bound) as Iterable<ChunkRow>) {
      if (runs.length > 0 && row.first_seq >= runs[0]!.firstSeq) continue; // see #piecesAfter
      yield { firstSeq: row.first_seq, lines: row.lines };
    }
  }

  replace(room: string, seq: number, line: Buffer): boolean {
    try {
      // A line still in the log is folded first: its chunk is the one place to change.
      const runs = this.#log.runs(room);
      if (runs.length > 0 && seq >= runs[0]!.firstSeq) this.#fold([room]);
      const row = this.#sql.holding.get(room, seq) as (ChunkRow & { id: number }) | undefined;
      if (row === undefined || row.first_seq > seq) return false;
      const lines = splitLines(row.lines);
      const ended = line[line.length - 1] === 0x0a ? line : Buffer.concat([line, NEWLINE]);
      lines[seq - row.first_seq] = ended;
      return this.#sql.replaceLines.run(Buffer.concat(lines), row.id).changes > 0;
    } catch (err) {
      throw new HistoryStoreError('HISTORY_WRITE_FAILED', `${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  forget(): void {
    // The file keeps a room's history after it empties: that is what it is for.
  }

  roomMeta(room: string, key: string): string | undefined {
    return this.#sql.getRoomMeta.get(room, key) as string | undefined;
  }

  setRoomMeta(room: string, key: string, value: string | undefined): void {
    if (value === undefined) this.#sql.deleteRoomMeta.run(room, key);
    else this.#sql.setRoomMeta.run(room, key, value);
  }

  /**
   * One step of background work, in its own short transaction: while the log holds lines, a
   * fold step; then retention, at most SWEEP_STEP_ROWS rows deleted a step: first what a
   * fold's trim left of a room over its count (#trim), then the oldest rows past the age limit.
   * Once none is left (false), the owner's thread checkpoints what the steps wrote.
   */
  sweep(now: number): boolean {
    const more = this.#sweepStep(now);
    // The owner's writes to the file come in this burst of steps once a second (commits go to
    // the log files): its end is when to checkpoint. A checkpoint that overlaps a write leaves
    // the frames written meanwhile, and the WAL starts over from its beginning only after one
    // that left none: asked at the top of the burst instead, the WAL grew by every second's folds.
    if (!more) this.#requestCheckpoint();
    return more;
  }

  #sweepStep(now: number): boolean {
    try {
      if (this.readMarkers.dirty) {
        this.readMarkers.flush(now);
        return true;
      }
      if (this.#role.kind === 'sequencer') return false; // the keeper folds and sweeps
      const owner = this.#role.kind === 'owner';
      const due = this.#log.due(
        now - FOLD_AFTER_MS,
        owner ? OWNER_FOLD_STEP : FOLD_STEP,
        owner ? OWNER_FOLD_STEP_BYTES : FOLD_STEP_BYTES,
      );
      if (due.length > 0) {
        this.#fold(due);
        return true;
      }
      for (const room of this.#toTrim) {
        if (this.#trim(room, this.lastSeq(room) - this.#historySize) > 0) return true;
      }
      if (this.#maxAgeMs > 0) {
        return this.#sql.trimOld.run(SWEEP_STEP_ROWS, now - this.#maxAgeMs).changes === SWEEP_STEP_ROWS;
      }
    } catch {
      // A full disk can refuse even a delete: retention tries again on the next sweep.
    }
    return false;
  }

  close(): void {
    if (!this.#db.open) return;
    this.#keeper?.close();
    if (this.#role.kind === 'keeper') {
      this.#db.close();
      return;
    }
    // Its connection closed first: this one's close is then the last, which checkpoints.
    this.#checkpointer?.close();
    this.#checkpointer = undefined;
    // Folds no checkpoint has covered yet: the log files go below, so this loop checkpoints first.
    if (this.#undurable.length > 0 || this.#checkpointing.length > 0) this.#ownFolds = true;
    try {
      this.readMarkers.flush();
    } catch {
      // Closing on a full disk: the markers of the last second go, the messages are stored.
    }
    try {
      this.#foldAll();
      this.#files.close(true);
    } catch {
      // The log keeps what could not be folded: the next open folds it.
      this.#files.close(false);
    }
    this.#db.close();
    this.#lock?.close();
  }
}

/** The runs of a commit read back (recovery): `segments`' lines lie end to end in `bytes` from `at`. */
function stored(segments: readonly Segment[], commit: number, bytes: Buffer, at: number): Run[] {
  return segments.map((segment) => {
    const run = Run.stored(segment, commit, bytes, at);
    at = run.end;
    return run;
  });
}

/** Creates the data dir if needed and checks it is writable. */
function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new HistoryStoreError(
      'HISTORY_DIR_UNUSABLE',
      `data directory ${dir} is not usable (${describe(err)}); choose another with --data-dir or DATA_DIR`,
      { cause: err },
    );
  }
}

/** Sets the file up (pragmas, lock, schema) and returns its epoch. */
function initialise(db: Database.Database, synchronous: 'normal' | 'full'): string {
  // A keeper (SqliteStore.keep) or the owner's thread (wal-checkpointer.ts) checkpoints: no
  // commit stops for one.
  db.pragma('wal_autocheckpoint = 0');
  // 16 KiB pages for a new file (an existing one keeps its own): a turn's log row and a
  // room's chunk are tens of KiB, so a quarter of the pages, WAL frames and write calls of
  // 4 KiB pages (store alone, 100 rooms: 4.0 -> 3.4 us CPU per message).
  db.pragma('page_size = 16384');
  if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('the file refused WAL mode');
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  // Keep the log from growing without end between checkpoints.
  db.pragma('journal_size_limit = 67108864');
  const appId = db.pragma('application_id', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() as number;
  if (tables > 0 && appId !== APPLICATION_ID) {
    throw Object.assign(new Error('the file is a SQLite database of another program'), { code: 'SQLITE_NOTADB' });
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  return db
    .transaction(() => {
      db.exec(SCHEMA);
      if (version === 1) db.exec(MIGRATE_V1);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      const epoch = db.prepare(SQL.getMeta).pluck().get('epoch') as string | undefined;
      if (epoch !== undefined) return epoch;
      const fresh = randomUUID();
      db.prepare(SQL.setMeta).run('epoch', fresh);
      return fresh;
    })
    .immediate();
}

/**
 * Holds `path` (an empty SQLite file) locked until closed: the history file has other
 * connections of ours (a keeper's, the checkpointer's), so its own exclusive locking mode
 * cannot keep a second server out; this does.
 */
function takeLock(path: string, historyFile: string): Database.Database {
  let lock: Database.Database | undefined;
  try {
    lock = new Database(path, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    // Nothing in it to roll back, and no -journal file left beside it (OFF, which better-sqlite3's
    // defensive mode refuses without a word, left one).
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (x); COMMIT');
    return lock;
  } catch (err) {
    lock?.close();
    throw openError(historyFile, err);
  }
}

function openError(path: string, err: unknown): HistoryStoreError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) {
    return new HistoryStoreError(
      'HISTORY_LOCKED',
      `history file ${path} is locked by another process (another loopchat on the same --data-dir?)`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new HistoryStoreError(
      'HISTORY_CORRUPT',
      `history file ${path} is not a loopchat history or is damaged (${describe(err)}); move it away to start a new one`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_FULL' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY')) {
    return new HistoryStoreError('HISTORY_DIR_UNUSABLE', `history file ${path} cannot be written (${describe(err)})`, {
      cause: err,
    });
  }
  return new HistoryStoreError('HISTORY_OPEN_FAILED', `history file ${path} cannot be opened (${describe(err)})`, {
    cause: err,
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code === undefined ? String(e.message ?? err) : `${e.code}: ${e.message ?? ''}`;
}
