import { describe, expect, it } from 'vitest';
import { chunkBytes, splitLines, type PendingChunk } from '../../src/history/line-chunks.js';

function chunk(refs: { buf: Buffer; start: number; end: number }[]): PendingChunk {
  return {
    room: 'r',
    firstSeq: 1,
    firstTs: 0,
    lastTs: 0,
    lines: refs,
    bytes: refs.reduce((n, r) => n + r.end - r.start, 0),
  };
}

describe('line chunks', () => {
  it('join lines end to end in one slab as a view, and scattered lines by copying their runs', () => {
    const slab = Buffer.from('a\nbb\nccc\n');
    const other = Buffer.from('xx\ndd\n');
    const adjacent = chunkBytes(
      chunk([
        { buf: slab, start: 0, end: 2 },
        { buf: slab, start: 2, end: 5 },
      ]),
    );
    expect(adjacent.toString()).toBe('a\nbb\n');
    expect(adjacent.buffer).toBe(slab.buffer);
    const scattered = chunk([
      { buf: slab, start: 0, end: 2 },
      { buf: slab, start: 2, end: 5 },
      { buf: other, start: 3, end: 6 },
      { buf: slab, start: 5, end: 9 },
    ]);
    expect(chunkBytes(scattered).toString()).toBe('a\nbb\ndd\nccc\n');
  });

  it('split a chunk back into its lines, newlines kept', () => {
    expect(splitLines(Buffer.from('a\nbb\nccc\n')).map(String)).toEqual(['a\n', 'bb\n', 'ccc\n']);
    expect(splitLines(Buffer.alloc(0))).toEqual([]);
  });
});
