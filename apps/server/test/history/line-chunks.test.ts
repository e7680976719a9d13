import { describe, expect, it } from 'vitest';
import { copyChunk, splitLines, type PendingChunk } from '../../src/history/line-chunks.js';

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
  it("copy a chunk's lines end to end, adjacent ones in one run, scattered ones each", () => {
    const slab = Buffer.from('a\nbb\nccc\n');
    const other = Buffer.from('xx\ndd\n');
    const scattered = chunk([
      { buf: slab, start: 0, end: 2 },
      { buf: slab, start: 2, end: 5 },
      { buf: other, start: 3, end: 6 },
      { buf: slab, start: 5, end: 9 },
    ]);
    const out = Buffer.alloc(14, '#');
    expect(copyChunk(scattered, out, 1)).toBe(13);
    expect(out.toString()).toBe('#a\nbb\ndd\nccc\n#');
  });

  it('split a chunk back into its lines, newlines kept', () => {
    expect(splitLines(Buffer.from('a\nbb\nccc\n')).map(String)).toEqual(['a\n', 'bb\n', 'ccc\n']);
    expect(splitLines(Buffer.alloc(0))).toEqual([]);
  });
});
