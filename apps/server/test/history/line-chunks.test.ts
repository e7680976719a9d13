import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/history/line-chunks.js';

describe('line chunks', () => {
  it('split a chunk back into its lines, newlines kept', () => {
    expect(splitLines(Buffer.from('a\nbb\nccc\n')).map(String)).toEqual(['a\n', 'bb\n', 'ccc\n']);
    expect(splitLines(Buffer.alloc(0))).toEqual([]);
  });
});
