import { describe, expect, it } from 'vitest';
import { copyLines, splitLines } from '../../src/history/line-chunks.js';

describe('line chunks', () => {
  it("copy a chunk's lines end to end, adjacent ones in one run, scattered ones each", () => {
    const slab = Buffer.from('a\nbb\nccc\n');
    const other = Buffer.from('xx\ndd\n');
    const scattered = [
      { buf: slab, start: 0, end: 2 },
      { buf: slab, start: 2, end: 5 },
      { buf: other, start: 3, end: 6 },
      { buf: slab, start: 5, end: 9 },
    ];
    const out = Buffer.alloc(14, '#');
    expect(copyLines(scattered, out, 1)).toBe(13);
    expect(out.toString()).toBe('#a\nbb\ndd\nccc\n#');
  });

  it('split a chunk back into its lines, newlines kept', () => {
    expect(splitLines(Buffer.from('a\nbb\nccc\n')).map(String)).toEqual(['a\n', 'bb\n', 'ccc\n']);
    expect(splitLines(Buffer.alloc(0))).toEqual([]);
  });
});
