/** The SQLite history store on a real file: what it keeps, what it returns, how it refuses. */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMsgBody, finishMsgLine, readMsgSeq } from '@loopchat/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStoreError } from '../../src/history/errors.js';
import { LOG_DIR } from '../../src/history/log-files.js';
import { HISTORY_FILE, SqliteStore, type SqliteStoreOptions } from '../../src/history/sqlite-store.js';

let dir: string;
const open: SqliteStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopchat-store-'));
});
afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
});

function store(options: Partial<SqliteStoreOptions> = {}): SqliteStore {
  const s = new SqliteStore({ dataDir: dir, historySize: 1000, maxAgeMs: 0, synchronous: 'normal', ...options });
  open.push(s);
  return s;
}

function line(room: string, seq: number, ts = 1000 + seq): Buffer {
  return finishMsgLine(encodeMsgBody(room, 'ann', `text ${seq}`), seq, ts);
}

function append(s: SqliteStore, room: string, from: number, to: number, ts?: number): void {
  for (let seq = from; seq <= to; seq++) {
    const bytes = line(room, seq, ts);
    s.append(room, seq, ts ?? 1000 + seq, { buf: bytes, start: 0, end: bytes.length });
  }
}

const seqs = (lines: Buffer[]): number[] => lines.map(readMsgSeq);
const whole = (bytes: Buffer): { buf: Buffer; start: number; end: number } => ({ buf: bytes, start: 0, end: bytes.length });

/** What moderation writes over message 2 of room 'r'. */
const TOMBSTONE = Buffer.from('{"type":"msg","room":"r","from":"ann","text":"","deleted":true,"seq":2,"ts":1002}\n');

/** A copy of a data dir as a kill would leave it (database, its WAL, the log files). */
function crashImage(from = dir): string {
  const copy = mkdtempSync(join(tmpdir(), 'loopchat-crash-'));
  cpSync(from, copy, { recursive: true });
  copies.push(copy);
  return copy;
}
const copies: string[] = [];

/** What a data dir's database and log hold. */
function look(data: string): { logFiles: number; chunks: Record<string, number>; last: Record<string, number> } {
  const db = new Database(join(data, HISTORY_FILE));
  const count = (room: string): number =>
    db.prepare('SELECT count(*) FROM chunks WHERE room = ?').pluck().get(room) as number;
  const last = (room: string): number =>
    (db.prepare('SELECT last_seq FROM rooms WHERE room = ?').pluck().get(room) as number | undefined) ?? 0;
  expect(db.pragma('page_size', { simple: true })).toBe(16384);
  const seen = {
    logFiles: existsSync(join(data, LOG_DIR)) ? readdirSync(join(data, LOG_DIR)).length : 0,
    chunks: { busy: count('busy'), quiet: count('quiet') },
    last: { busy: last('busy'), quiet: last('quiet') },
  };
  db.close();
  return seen;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HistoryStoreError ? err.code : `not a HistoryStoreError: ${String(err)}`;
  }
  return undefined;
}

describe('SqliteStore', () => {
  it('returns the stored lines byte for byte, only once committed', () => {
    const s = store();
    append(s, 'r', 1, 3);
    expect(s.read('r', { latest: 10 })).toEqual([]);
    s.commit();
    expect(s.read('r', { latest: 10 })).toEqual([line('r', 1), line('r', 2), line('r', 3)]);
  });

  it('answers latest, since and before pages oldest first', () => {
    const s = store();
    append(s, 'r', 1, 10);
    append(s, 'other', 1, 2);
    s.commit();
    expect(seqs(s.read('r', { latest: 3 }))).toEqual([8, 9, 10]);
    expect(seqs(s.read('r', { since: 4, limit: 3 }))).toEqual([5, 6, 7]);
    expect(seqs(s.read('r', { before: 4, limit: 5 }))).toEqual([1, 2, 3]);
    expect(seqs(s.read('r', { before: 8, limit: 2 }))).toEqual([6, 7]);
    expect(seqs(s.read('other', { since: 0, limit: 10 }))).toEqual([1, 2]);
  });

  it('keeps seqs, lines and the epoch across a reopen; a new file gets a new epoch', () => {
    const first = store();
    append(first, 'r', 1, 5);
    first.commit();
    const epoch = first.epoch;
    first.close();
    const again = store();
    expect(again.epoch).toBe(epoch);
    expect(again.lastSeq('r')).toBe(5);
    expect(again.lastSeq('never')).toBe(0);
    expect(seqs(again.read('r', { since: 0, limit: 100 }))).toEqual([1, 2, 3, 4, 5]);
    again.close();
    rmSync(join(dir, HISTORY_FILE));
    expect(store().epoch).not.toBe(epoch);
  });

  it('answers as if count retention were done, and the sweep folds, then deletes whole chunks in bounded steps', () => {
    const s = store({ historySize: 3 });
    append(s, 'r', 1, 1200); // one commit: one log row, runs of 256 lines (1–256, …, 1025–1200)
    s.commit();
    for (let seq = 1201; seq <= 1700; seq++) {
      append(s, 'r', seq, seq, seq * 10_000); // each a chunk of its own once folded (chunks span ≤ 5 s)
      s.commit();
    }
    expect(seqs(s.read('r', { since: 0, limit: 100 }))).toEqual([1698, 1699, 1700]);
    expect(seqs(s.read('r', { before: 1699, limit: 100 }))).toEqual([1698]);
    expect(seqs(s.read('r', { latest: 2 }))).toEqual([1699, 1700]);
    let steps = 0;
    while (s.sweep(Date.now())) steps++;
    // One fold (505 chunks: 4 of 256 lines, 1025–1200, then one per message), which deletes
    // the first 200 of the 502 chunks wholly at or below seq 1697; then the rest, at most 200
    // per step.
    expect(steps).toBe(3);
    expect(seqs(s.read('r', { since: 0, limit: 100 }))).toEqual([1698, 1699, 1700]);
    s.close();
    const wider = store({ historySize: 10_000 });
    expect(seqs(wider.read('r', { since: 0, limit: 10_000 }))).toEqual([1698, 1699, 1700]);
    expect(wider.lastSeq('r')).toBe(1700);
  });

  it('folds in steps of about a thousand lines when it serves clients itself (each step holds their event loop)', () => {
    const s = store();
    const old = Date.now() - 5_000;
    const rooms = Array.from({ length: 40 }, (_, i) => `room${i}`);
    for (const room of rooms) append(s, room, 1, 100, old); // 4,000 lines, every room due
    s.commit();
    let steps = 0;
    while (s.sweep(Date.now())) steps++;
    // Whole rooms, until a step has at least 1,024 lines: 11 rooms, 11, 11, then the last 7.
    expect(steps).toBe(4);
    for (const room of rooms) expect(s.read(room, { latest: 1000 })).toHaveLength(100);
    s.close();
    const reopened = store();
    for (const room of rooms) expect(reopened.lastSeq(room)).toBe(100);
    expect(seqs(reopened.read('room39', { since: 98, limit: 10 }))).toEqual([99, 100]);
  });

  it('commits a turn as one log record and folds a room once it has a full chunk or its oldest line waited', () => {
    const now = Date.now();
    const s = store();
    append(s, 'busy', 1, 300, now);
    append(s, 'quiet', 1, 2, now);
    s.commit();
    expect(s.sweep(now)).toBe(true); // folds 'busy' (a full chunk's worth); 'quiet' waits
    expect(s.sweep(now)).toBe(false);
    // What a kill would leave now (the files as they are, the store still open).
    const crash = crashImage();
    expect(look(crash)).toEqual({ logFiles: 1, chunks: { busy: 2, quiet: 0 }, last: { busy: 300, quiet: 0 } });
    // Opened: the commit's 'busy' segment is not folded a second time; 'quiet' is folded now.
    const again = store({ dataDir: crash });
    expect(seqs(again.read('busy', { since: 0, limit: 1000 }))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(again.read('quiet', { since: 0, limit: 10 })).toEqual([line('quiet', 1, now), line('quiet', 2, now)]);
    expect(again.lastSeq('quiet')).toBe(2);
    again.close();
    expect(look(crash)).toEqual({ logFiles: 0, chunks: { busy: 2, quiet: 1 }, last: { busy: 300, quiet: 2 } });
    // Closed, a store folds what is left and deletes its log.
    s.close();
    expect(look(dir)).toEqual({ logFiles: 0, chunks: { busy: 2, quiet: 1 }, last: { busy: 300, quiet: 2 } });
  });

  it('deletes a folded log file only once its thread has checkpointed the fold (a power loss cannot lose it)', async () => {
    const s = store();
    const files = (): string[] => readdirSync(join(dir, LOG_DIR));
    const big = (seq: number): Buffer => finishMsgLine(encodeMsgBody('r', 'ann', 'x'.repeat(1000)), seq, 1000 + seq);
    let now = Date.now();
    expect(s.sweep(now)).toBe(false); // nothing to do: it asks its thread for a checkpoint
    // Over a MiB in the first file: once all of it is folded (and durable) the next commit starts
    // a second file and the first goes.
    for (let seq = 1; seq <= 1200; seq++) s.append('r', seq, 1000 + seq, whole(big(seq)));
    s.commit();
    expect(s.sweep(now)).toBe(true); // folds, while that checkpoint is under way
    await sleep(300); // it has answered: it began before the fold, so it covers none of it
    append(s, 'r', 1201, 1201);
    s.commit();
    expect(files()).toEqual(['1.log']); // the fold is not durable yet: the file stays, and takes the commit
    // Idle from here: the sweeps fold 1201, and the checkpoint after each covers it.
    for (let i = 0; i < 20; i++) {
      now += 1_000;
      while (s.sweep(now));
      await sleep(100);
    }
    append(s, 'r', 1202, 1202);
    s.commit();
    expect(files()).toEqual(['2.log']);
    expect(seqs(s.read('r', { since: 1198, limit: 10 }))).toEqual([1199, 1200, 1201, 1202]);
  });

  it('keeps the WAL small while it folds: its thread checkpoints every second', async () => {
    const s = store();
    const text = 'y'.repeat(1000);
    let now = Date.now();
    for (let round = 0, seq = 0; round < 24; round++) {
      for (let i = 0; i < 1000; i++, seq++) {
        s.append('r', seq + 1, now, whole(finishMsgLine(encodeMsgBody('r', 'ann', text), seq + 1, now)));
      }
      s.commit();
      now += 1_100;
      while (s.sweep(now)); // folds the round's MB, then asks for a checkpoint
      await sleep(50);
    }
    // 24 MB folded: without checkpoints the WAL held 19.5 MB of it (there is no automatic one);
    // checkpointing as each second's steps began, while they wrote, 12.1 MB (it starts over only
    // after a checkpoint that left no frame behind); after them, 1.3 MB.
    expect(statSync(join(dir, `${HISTORY_FILE}-wal`)).size).toBeLessThan(4 * 1024 * 1024);
  });

  it('recovers the intact records of a log whose last write was cut short, and numbers on after them', () => {
    const s = store();
    append(s, 'r', 1, 3);
    s.commit();
    append(s, 'r', 4, 5);
    s.commit();
    const crash = crashImage();
    const [file] = readdirSync(join(crash, LOG_DIR));
    const path = join(crash, LOG_DIR, file!);
    const whole = readFileSync(path);
    // The second record torn: its header and half its payload; then a power loss's zeros.
    const first = 8 + whole.readUInt32LE(0);
    writeFileSync(path, Buffer.concat([whole.subarray(0, first + (whole.length - first) / 2)]));
    const torn = store({ dataDir: crash });
    expect(seqs(torn.read('r', { since: 0, limit: 10 }))).toEqual([1, 2, 3]);
    append(torn, 'r', 4, 4);
    torn.commit();
    torn.close();
    writeFileSync(path, Buffer.concat([whole.subarray(0, first), Buffer.alloc(64)]));
    const zeros = store({ dataDir: crashImage(crash) });
    expect(seqs(zeros.read('r', { since: 0, limit: 10 }))).toEqual([1, 2, 3, 4]);
  });

  it('recovers a log file written before the binary directory (its directory in JSON)', () => {
    const lines = [1, 2, 3].map((seq) => line('r', seq));
    const directory = Buffer.from(JSON.stringify([['r', 1, 3, 1001, 1003, Buffer.concat(lines).length]]));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(directory.length);
    const payload = Buffer.concat([length, directory, ...lines]);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    mkdirSync(join(dir, LOG_DIR));
    writeFileSync(join(dir, LOG_DIR, '1.log'), Buffer.concat([header, payload]));
    const s = store();
    expect(s.read('r', { since: 0, limit: 10 })).toEqual(lines);
    expect(s.lastSeq('r')).toBe(3);
    append(s, 'r', 4, 4);
    s.commit();
    s.close();
    const again = store();
    expect(seqs(again.read('r', { since: 0, limit: 10 }))).toEqual([1, 2, 3, 4]);
  });

  it('folds the log rows of a version-3 file (the log was a table) at open and drops the table', () => {
    const db = new Database(join(dir, HISTORY_FILE));
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE log (id INTEGER PRIMARY KEY, segments TEXT NOT NULL, lines BLOB NOT NULL);
      INSERT INTO meta VALUES ('epoch', 'v3-epoch');
      PRAGMA application_id = ${0x4c4f4f50};
      PRAGMA user_version = 3;
    `);
    const lines = [1, 2].map((seq) => line('r', seq));
    const segments = [['r', 1, 2, 1001, 1002, lines[0]!.length + lines[1]!.length]];
    db.prepare('INSERT INTO log (segments, lines) VALUES (?, ?)').run(JSON.stringify(segments), Buffer.concat(lines));
    db.close();
    const s = store();
    expect(s.epoch).toBe('v3-epoch');
    expect(s.read('r', { since: 0, limit: 10 })).toEqual(lines);
    s.close();
    const after = new Database(join(dir, HISTORY_FILE), { readonly: true });
    expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'log'").pluck().get()).toBe(0);
    expect(after.prepare("SELECT count(*) FROM chunks WHERE room = 'r'").pluck().get()).toBe(1);
    after.close();
  });

  it('replaces a line not yet folded (its room is folded first)', () => {
    const s = store();
    append(s, 'r', 1, 3);
    s.commit();
    expect(s.replace('r', 2, TOMBSTONE)).toBe(true);
    expect(s.read('r', { latest: 3 })).toEqual([line('r', 1), TOMBSTONE, line('r', 3)]);
  });

  it('pages across chunk boundaries both ways', () => {
    const s = store();
    append(s, 'r', 1, 600); // chunks 1–256, 257–512, 513–600
    s.commit();
    append(s, 'r', 601, 610);
    s.commit();
    expect(seqs(s.read('r', { since: 250, limit: 10 }))).toEqual([251, 252, 253, 254, 255, 256, 257, 258, 259, 260]);
    expect(seqs(s.read('r', { before: 260, limit: 6 }))).toEqual([254, 255, 256, 257, 258, 259]);
    expect(seqs(s.read('r', { before: 603, limit: 4 }))).toEqual([599, 600, 601, 602]);
    expect(seqs(s.read('r', { latest: 12 }))).toEqual([599, 600, 601, 602, 603, 604, 605, 606, 607, 608, 609, 610]);
    expect(s.read('r', { since: 0, limit: 1000 })).toEqual(Array.from({ length: 610 }, (_, i) => line('r', i + 1)));
  });

  it('deletes messages older than maxAgeMs and never gives their seqs again', () => {
    const s = store({ maxAgeMs: 1000 });
    append(s, 'r', 1, 4, Date.now() - 10_000);
    s.commit();
    append(s, 'r', 5, 5, Date.now());
    s.commit();
    while (s.sweep(Date.now()));
    expect(seqs(s.read('r', { since: 0, limit: 100 }))).toEqual([5]);
    expect(s.lastSeq('r')).toBe(5);
  });

  it('replaces a line already folded into a chunk by room and seq, its neighbours untouched', () => {
    const s = store();
    append(s, 'r', 1, 2);
    s.commit();
    while (s.sweep(Date.now())); // folded: the lines are in a chunk of the file
    expect(s.replace('r', 2, TOMBSTONE)).toBe(true);
    expect(s.replace('r', 9, TOMBSTONE)).toBe(false);
    expect(s.read('r', { latest: 2 })).toEqual([line('r', 1), TOMBSTONE]);
  });

  it('opens a file of the first layout (a row per message) and keeps its messages, seqs and epoch', () => {
    const db = new Database(join(dir, HISTORY_FILE));
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE messages (id INTEGER PRIMARY KEY, room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, line BLOB NOT NULL);
      CREATE UNIQUE INDEX messages_room_seq ON messages (room, seq);
      INSERT INTO meta VALUES ('epoch', 'old-epoch');
      INSERT INTO rooms VALUES ('r', 3);
      PRAGMA application_id = ${0x4c4f4f50};
      PRAGMA user_version = 1;
    `);
    const insert = db.prepare('INSERT INTO messages (room, seq, ts, line) VALUES (?, ?, ?, ?)');
    for (const seq of [1, 2, 3]) insert.run('r', seq, 1000 + seq, line('r', seq));
    db.close();
    const s = store();
    expect(s.epoch).toBe('old-epoch');
    expect(s.lastSeq('r')).toBe(3);
    expect(s.read('r', { since: 0, limit: 10 })).toEqual([line('r', 1), line('r', 2), line('r', 3)]);
  });

  it('keeps room metadata per key', () => {
    const s = store();
    s.setRoomMeta('r', 'topic', 'hello');
    expect(s.roomMeta('r', 'topic')).toBe('hello');
    s.setRoomMeta('r', 'topic', undefined);
    expect(s.roomMeta('r', 'topic')).toBeUndefined();
  });

  it('refuses a second store on the same file while the first holds it', () => {
    store();
    expect(errorCode(() => store())).toBe('HISTORY_LOCKED');
    expect(readdirSync(dir)).not.toContain('loopchat.lock-journal'); // the lock file leaves nothing beside it
  });

  it('refuses a file that is not a loopchat history', () => {
    writeFileSync(join(dir, HISTORY_FILE), Buffer.alloc(8192, 'garbage!'));
    expect(errorCode(() => store())).toBe('HISTORY_CORRUPT');
    rmSync(join(dir, HISTORY_FILE));
    const other = new Database(join(dir, HISTORY_FILE));
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(errorCode(() => store())).toBe('HISTORY_CORRUPT');
  });

  it('refuses a data dir it cannot create', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(
      errorCode(
        () => new SqliteStore({ dataDir: join(dir, 'a-file', 'data'), historySize: 1, maxAgeMs: 0, synchronous: 'full' }),
      ),
    ).toBe('HISTORY_DIR_UNUSABLE');
  });
});
