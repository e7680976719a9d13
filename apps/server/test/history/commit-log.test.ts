/** The SQLite store's in-memory commit log (history/commit-log.ts): which rooms a fold step takes. */
import { describe, expect, it } from 'vitest';
import { CommitLog, Run } from '../../src/history/commit-log.js';

/** A commit of `rooms`, each with `count` lines of `lineBytes`, all at time `ts`. */
function commit(log: CommitLog, id: number, rooms: string[], count: number, lineBytes: number, ts: number): void {
  const bytes = Buffer.alloc(rooms.length * count * lineBytes);
  log.add(
    rooms.map((room, i) =>
      Run.stored([room, id * 1000, count, ts, ts, count * lineBytes], id, bytes, i * count * lineBytes),
    ),
  );
}

describe('CommitLog.due', () => {
  it('takes the rooms whose oldest line is old enough, oldest first, up to about maxMessages', () => {
    const log = new CommitLog();
    commit(log, 1, ['a', 'b'], 10, 100, 1_000);
    commit(log, 2, ['c'], 10, 100, 2_000);
    expect(log.due(1_500, Infinity)).toEqual(['a', 'b']);
    expect(log.due(Infinity, 15)).toEqual(['a', 'b']);
    expect(log.due(Infinity, 5)).toEqual(['a']);
  });

  it('stops at maxBytes too, so a step of long lines stays short', () => {
    const log = new CommitLog();
    commit(log, 1, ['a', 'b', 'c', 'd'], 100, 1_500, 1_000); // 150 KB a room
    expect(log.due(Infinity, 8192)).toEqual(['a', 'b', 'c', 'd']);
    expect(log.due(Infinity, 8192, 300_000)).toEqual(['a', 'b']);
    // At least one room, however large.
    expect(log.due(Infinity, 8192, 1)).toEqual(['a']);
  });

  it('counts the bytes of full rooms first', () => {
    const log = new CommitLog();
    commit(log, 1, ['quiet'], 1, 1_500, 1_000);
    commit(log, 2, ['busy', 'busier'], 256, 1_500, 2_000); // a full chunk each
    // 384 KB each: the first full room reaches the bound before the older, quiet one is looked at.
    expect(log.due(Infinity, 8192, 300_000)).toEqual(['busy']);
    expect(log.due(Infinity, 8192, 1_000_000)).toEqual(['busy', 'busier', 'quiet']);
    expect(log.folded(['busy'])).toEqual([]); // commit 2 still holds busier's lines
    expect(log.due(Infinity, 8192, 300_000)).toEqual(['busier']);
  });
});

describe('CommitLog runs', () => {
  it("keeps a room's runs in order through partial folds and growth, and names the commits emptied", () => {
    const log = new CommitLog();
    const bytes = Buffer.alloc(100);
    const commitOf = (id: number): void =>
      log.add([
        Run.stored(['r', id * 10 + 1, 10, id, id, 10], id, bytes, id % 10),
        Run.stored(['s', id, 1, id, id, 1], id, bytes, 0),
      ]);
    const seqsOf = (room: string): number[] => log.runs(room).map((run) => run.firstSeq);
    for (let id = 0; id < 6; id++) commitOf(id); // past the first columns
    expect(seqsOf('r')).toEqual([1, 11, 21, 31, 41, 51]);
    // Folded through the middle of commit 4's run: whole runs only, and no commit is empty yet (s holds them).
    expect(log.foldedThrough('r', 45)).toEqual([]);
    expect(seqsOf('r')).toEqual([41, 51]);
    for (let id = 6; id < 12; id++) commitOf(id); // the runs move to the freed front
    expect(seqsOf('r')).toEqual([41, 51, 61, 71, 81, 91, 101, 111]);
    expect(log.foldedThrough('r', 50)).toEqual([]);
    commitOf(12); // the columns grow with a run folded at their front
    expect(seqsOf('r')).toEqual([51, 61, 71, 81, 91, 101, 111, 121]);
    expect(log.runs('r')[1]).toMatchObject({
      room: 'r',
      count: 10,
      firstTs: 6,
      lastTs: 6,
      size: 10,
      commit: 6,
      start: 6,
      end: 16,
    });
    expect(log.lastSeq('r')).toBe(130);
    expect(log.messages).toBe(8 * 10 + 13);
    expect(log.foldedThrough('s', 4)).toEqual([0, 1, 2, 3, 4]); // r's runs of 0–4 are folded already
    expect(log.folded(['r', 's'])).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect([log.messages, log.runs('r'), log.lastSeq('r')]).toEqual([0, [], undefined]);
  });
});
