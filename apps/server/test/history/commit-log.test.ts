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
