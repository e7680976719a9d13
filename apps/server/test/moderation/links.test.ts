import { describe, expect, it } from 'vitest';
import { countLinks } from '../../src/moderation/links.js';

describe('countLinks', () => {
  it.each([
    ['no links here', 0],
    ['see https://example.com/path?q=1', 1],
    ['HTTP://EXAMPLE.COM and http://x.y', 2],
    ['www.example.org', 1],
    ['visit x.com, y.io; z.net/abc', 3],
    ['(t.co/abc) <bit.ly>', 2],
    ['trailing dot: x.com.', 1],
    ['ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ', 1],
    ['sub.domain.example.co.uk/x', 1],
    ['https://a.com/https://b.com', 1],
  ])('%j has %i', (text, n) => {
    expect(countLinks(text)).toBe(n);
  });

  it.each([
    'e.g. this',
    'main.py and notes.md',
    'version 3.14.1',
    'ok.so what',
    'ratio 1:2',
    'bob@example',
    'a..com',
    'http://',
    'www.',
    '...',
  ])('does not count %j', (text) => {
    expect(countLinks(text)).toBe(0);
  });

  it('scans 1 MB of near-links in one pass', () => {
    const text = 'x.'.repeat(1 << 19);
    expect(countLinks(text)).toBe(0);
    expect(countLinks('a.com '.repeat(1000))).toBe(1000);
  });
});
