/** The SQLite store's lines of the turn, by room (history/turn-runs.ts). */
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_LINES } from '../../src/history/line-chunks.js';
import { TurnRuns } from '../../src/history/turn-runs.js';

/** The turn's runs as the commit directory reads them. */
function runsOf(turn: TurnRuns): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < turn.length; i++)
    out.push([turn.room(i), turn.firstSeq(i), turn.count(i), turn.firstTs(i), turn.lastTs(i), turn.size(i)]);
  return out;
}

/** Run `i`'s lines as copyLines writes them. */
function linesOf(turn: TurnRuns, i: number): string {
  const out = Buffer.alloc(turn.size(i) + 2, '#');
  expect(turn.copyLines(i, out, 1)).toBe(1 + turn.size(i));
  expect(String.fromCharCode(out[0]!, out[out.length - 1]!)).toBe('##');
  return out.toString('utf8', 1, 1 + turn.size(i));
}

describe('TurnRuns', () => {
  it("gathers each room's lines into one run, in the order the rooms first spoke", () => {
    const turn = new TurnRuns();
    const slab = Buffer.from('a1\nb1\na2\nb2\n');
    turn.append('a', 7, 1_000, { buf: slab, start: 0, end: 3 });
    turn.append('b', 1, 1_001, { buf: slab, start: 3, end: 6 });
    turn.append('a', 8, 1_002, { buf: slab, start: 6, end: 9 });
    turn.append('b', 2, 1_003, { buf: slab, start: 9, end: 12 });
    expect(runsOf(turn)).toEqual([
      ['a', 7, 2, 1_000, 1_002, 6],
      ['b', 1, 2, 1_001, 1_003, 6],
    ]);
    expect([turn.messages, turn.bytes]).toEqual([4, 12]);
    expect([linesOf(turn, 0), linesOf(turn, 1)]).toEqual(['a1\na2\n', 'b1\nb2\n']);
    expect([turn.lastSeq('a'), turn.lastSeq('b'), turn.lastSeq('c')]).toEqual([8, 2, undefined]);
  });

  it('copies lines end to end in one piece, scattered ones each, across buffers', () => {
    const turn = new TurnRuns();
    const slab = Buffer.from('a\nbb\nccc\n');
    const other = Buffer.from('xx\ndd\n');
    turn.append('r', 1, 0, { buf: slab, start: 0, end: 2 });
    turn.append('r', 2, 0, { buf: slab, start: 2, end: 5 });
    turn.append('r', 3, 0, { buf: other, start: 3, end: 6 });
    turn.append('r', 4, 0, { buf: slab, start: 5, end: 9 });
    expect(linesOf(turn, 0)).toBe('a\nbb\ndd\nccc\n');
  });

  it("starts a room's second run past a chunk's worth of lines", () => {
    const turn = new TurnRuns();
    const line = Buffer.from('x\n');
    for (let seq = 1; seq <= MAX_CHUNK_LINES + 1; seq++) turn.append('busy', seq, seq, { buf: line, start: 0, end: 2 });
    expect(runsOf(turn)).toEqual([
      ['busy', 1, MAX_CHUNK_LINES, 1, MAX_CHUNK_LINES, 2 * MAX_CHUNK_LINES],
      ['busy', MAX_CHUNK_LINES + 1, 1, MAX_CHUNK_LINES + 1, MAX_CHUNK_LINES + 1, 2],
    ]);
    expect(turn.lastSeq('busy')).toBe(MAX_CHUNK_LINES + 1);
  });

  it('starts afresh after reset, the rooms of the last turn forgotten, past its first columns', () => {
    const turn = new TurnRuns();
    const line = Buffer.from('x\n');
    for (let r = 0; r < 300; r++) turn.append(`r${r}`, 1, 0, { buf: line, start: 0, end: 2 });
    expect(turn.length).toBe(300);
    turn.reset();
    expect([turn.length, turn.messages, turn.bytes, turn.lastSeq('r0')]).toEqual([0, 0, 0, undefined]);
    // A room of the last turn begins a new run, even where its old slot index is in use again.
    turn.append('r5', 2, 10, { buf: line, start: 0, end: 2 });
    turn.append('r0', 2, 11, { buf: line, start: 0, end: 2 });
    expect(runsOf(turn)).toEqual([
      ['r5', 2, 1, 10, 10, 2],
      ['r0', 2, 1, 11, 11, 2],
    ]);
  });
});
