import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/node/line-splitter.js';

describe('LineSplitter', () => {
  const input = '{"a":1}\r\n{"b":2}\n\n* greeting\n{"c":3}\n';
  const expected = ['{"a":1}', '{"b":2}', '* greeting', '{"c":3}'];

  it('yields the same lines whatever the split of the input', () => {
    for (let i = 0; i <= input.length; i++)
      for (let j = i; j <= input.length; j++) {
        const splitter = new LineSplitter(100);
        const lines = [input.slice(0, i), input.slice(i, j), input.slice(j)].flatMap((chunk) => splitter.push(chunk)!);
        expect(lines, `split at ${i}, ${j}`).toEqual(expected);
      }
  });

  it('refuses a line over the limit, complete or not', () => {
    expect(new LineSplitter(4).push('12345\n')).toBeUndefined();
    expect(new LineSplitter(4).push('12345')).toBeUndefined();
    expect(new LineSplitter(4).push('1234\n')).toEqual(['1234']);
  });
});
