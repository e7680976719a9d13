/**
 * The cluster primary's SQLite store with a history keeper (history-keeper.ts): a real keeper
 * process folds what the store commits while the store keeps answering reads, replaces a
 * killed keeper, and the pair keeps every other server off the data dir.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMsgBody, finishMsgLine, readMsgSeq } from '@loopchat/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStoreError } from '../../src/history/errors.js';
import { LOG_DIR } from '../../src/history/log-files.js';
import { openHistoryStore } from '../../src/history/open-store.js';
import { HISTORY_FILE, SqliteStore } from '../../src/history/sqlite-store.js';
import { childPids, isAlive } from '../helpers/cluster.js';
import { sleep, waitUntil } from '../helpers/clients.js';

let dir: string;
const open: { close(): void }[] = [];
const problems: unknown[] = [];
const log = { warn: (o: unknown) => problems.push(o), error: (o: unknown) => problems.push(o) };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopchat-keeper-'));
  problems.length = 0;
});
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  // The next test counts keepers: this one's, killed at close, must be gone first.
  await waitUntil(() => keepers().length === 0, 5_000, 'the keepers to exit');
  rmSync(dir, { recursive: true, force: true });
});

/** The keeper processes running as children of this one (history-keeper.ts, by command line). */
function keepers(): number[] {
  return childPids(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('history-keeper.js');
    } catch {
      return false; // exited meanwhile
    }
  });
}

const CONFIG = { history: 'sqlite', historySize: 1000, historyMaxAgeSeconds: 0, historySync: 'normal' } as const;

function sequencer(historySize = 1000): SqliteStore {
  const s = openHistoryStore({ ...CONFIG, dataDir: dir, historySize }, log, { keeper: true }) as SqliteStore;
  open.push(s);
  return s;
}

/** Appends seqs from..to of each room, a commit per seq (a turn). */
function write(s: SqliteStore, rooms: string[], from: number, to: number): void {
  for (let seq = from; seq <= to; seq++) {
    for (const room of rooms) {
      const bytes = finishMsgLine(encodeMsgBody(room, 'ann', `text ${seq}`), seq, 1000 + seq);
      s.append(room, seq, 1000 + seq, { buf: bytes, start: 0, end: bytes.length });
    }
    s.commit();
  }
}

/** What the file itself holds (another connection, as an operator's sqlite3 would see it). */
function inFile(): { chunks: number; lastSeq: Record<string, number> } {
  const db = new Database(join(dir, HISTORY_FILE), { readonly: true });
  try {
    const chunks = db.prepare('SELECT count(*) FROM chunks').pluck().get() as number;
    const rows = db.prepare('SELECT room, last_seq FROM rooms').all() as { room: string; last_seq: number }[];
    return { chunks, lastSeq: Object.fromEntries(rows.map((r) => [r.room, r.last_seq])) };
  } finally {
    db.close();
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function expectWhole(s: SqliteStore, room: string, from: number, to: number): void {
  expect(s.read(room, { since: from - 1, limit: 10_000 }).map(readMsgSeq), `${room} forward`).toEqual(range(from, to));
  expect(s.read(room, { latest: 10_000 }).map(readMsgSeq), `${room} latest`).toEqual(range(from, to));
  expect(s.read(room, { before: to + 1, limit: 10_000 }).map(readMsgSeq), `${room} backward`).toEqual(range(from, to));
}

describe('a history keeper', () => {
  it('folds what the store commits, in its own process, while reads see every line once', async () => {
    const s = sequencer();
    const rooms = ['a', 'b', 'c'];
    expect(keepers()).toHaveLength(1);
    // 600 lines a room: two full chunks each, folded by the keeper as they fill; the rest
    // once it has waited a second. The store itself folds nothing below KEEPER_BEHIND.
    for (let round = 0; round < 6; round++) {
      write(s, rooms, round * 100 + 1, round * 100 + 100);
      for (const room of rooms) expectWhole(s, room, 1, round * 100 + 100);
      await sleep(30);
    }
    await waitUntil(() => rooms.every((room) => inFile().lastSeq[room] === 600), 10_000, 'the keeper to fold all');
    for (const room of rooms) expectWhole(s, room, 1, 600);
    expect(s.lastSeq('a')).toBe(600);
    // Once the folds are durable the log files holding them go (the newest may stay, empty of work).
    await waitUntil(() => readdirSync(join(dir, LOG_DIR)).length <= 1, 5_000, 'the folded log files to go');
    expect(problems).toEqual([]);
  });

  it('applies count retention', async () => {
    const s = sequencer(300);
    write(s, ['r'], 1, 2000);
    await waitUntil(() => inFile().lastSeq.r === 2000, 10_000, 'the keeper to fold all');
    // 2,000 lines are 8 chunks; retention keeps the chunks holding the newest 300 (and the
    // slack a trim waits for): far fewer than 8.
    await waitUntil(() => inFile().chunks <= 4, 5_000, 'the old chunks to go');
    expect(s.read('r', { latest: 1000 }).map(readMsgSeq)).toEqual(range(1701, 2000));
  });

  it('is started again when it dies, and folding goes on', async () => {
    const s = sequencer();
    write(s, ['r'], 1, 300);
    await waitUntil(() => inFile().lastSeq.r === 300, 10_000, 'the keeper to fold');
    const [first] = keepers();
    expect(first).toBeDefined();
    process.kill(first!, 'SIGKILL');
    await waitUntil(() => !isAlive(first!), 5_000, 'the keeper to die');
    write(s, ['r'], 301, 700);
    expectWhole(s, 'r', 1, 700);
    await waitUntil(() => keepers().some((pid) => pid !== first), 5_000, 'another keeper');
    await waitUntil(() => inFile().lastSeq.r === 700, 10_000, 'the new keeper to fold');
    expectWhole(s, 'r', 1, 700);
    expect(problems).toHaveLength(1); // the warning that it exited
  });

  it('leaves the store whole at close, and a store opened after reads it all', async () => {
    const s = sequencer();
    write(s, ['r'], 1, 450);
    const [pid] = keepers();
    expect(pid).toBeDefined();
    s.close();
    open.splice(open.indexOf(s), 1);
    await waitUntil(() => !isAlive(pid!), 5_000, 'the keeper to stop with the store');
    expect(inFile().lastSeq.r).toBe(450);
    expect(readdirSync(join(dir, LOG_DIR))).toEqual([]);
    const again = new SqliteStore({ dataDir: dir, historySize: 1000, maxAgeMs: 0, synchronous: 'normal' });
    open.push(again);
    expectWhole(again, 'r', 1, 450);
  });

  it('answers a backup of the store', async () => {
    const s = sequencer();
    write(s, ['r'], 1, 100);
    const file = await s.backup!();
    const copy = new Database(file, { readonly: true });
    const last = copy.prepare("SELECT last_seq FROM rooms WHERE room = 'r'").pluck().get();
    copy.close();
    rmSync(file);
    expect(last).toBe(100);
  });

  it('keeps a second server off the data dir, whichever opened it first', () => {
    const options = { dataDir: dir, historySize: 1000, maxAgeMs: 0, synchronous: 'normal' } as const;
    const code = (open: () => SqliteStore): string | undefined => {
      try {
        open().close();
      } catch (err) {
        return err instanceof HistoryStoreError ? err.code : String(err);
      }
      return undefined;
    };
    sequencer();
    expect(code(() => new SqliteStore(options, { kind: 'sequencer' }))).toBe('HISTORY_LOCKED');
    expect(code(() => new SqliteStore(options))).toBe('HISTORY_LOCKED');
    for (const s of open.splice(0)) s.close();
    const owner = new SqliteStore(options);
    open.push(owner);
    expect(code(() => new SqliteStore(options, { kind: 'sequencer' }))).toBe('HISTORY_LOCKED');
  });
});
