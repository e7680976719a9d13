import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModerationError, type ModerationErrorCode } from '../../src/moderation/errors.js';
import { loadTermsFile } from '../../src/moderation/filter.js';
import { DEFAULT_TERMS_PATH, compileTerms, parseTermSpec, parseTermsText } from '../../src/moderation/terms.js';

const dir = mkdtempSync(join(tmpdir(), 'loopchat-terms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function codeOf(fn: () => unknown): ModerationErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModerationError);
    return (err as ModerationError).code;
  }
  return undefined;
}

describe('loadTermsFile', () => {
  it('reads one term per line, ignoring comments, blank lines, a BOM and CRLF', () => {
    const path = file('ok.txt', '\uFEFF# header\r\nfoo\r\n\r\n   # indented comment\n  bar baz  \n!*qux*\n');
    expect(loadTermsFile(path)).toEqual(['foo', 'bar baz', '!*qux*']);
  });

  it('loads the shipped list: thousands of terms, marked as a demonstration', () => {
    const terms = loadTermsFile(DEFAULT_TERMS_PATH);
    expect(terms.length).toBeGreaterThan(3000);
    expect(parseTermsText('')).toEqual([]);
  });

  it('refuses a file over the byte limit before reading it (default 5 MiB)', () => {
    const big = file('big.txt', Buffer.alloc(5 * 1024 * 1024 + 1, 0x61));
    expect(codeOf(() => loadTermsFile(big))).toBe('FILTER_TERMS_TOO_LARGE');
    expect(codeOf(() => loadTermsFile(file('small.txt', 'abc\ndef\n'), { maxBytes: 4 }))).toBe('FILTER_TERMS_TOO_LARGE');
  });

  it('refuses more terms than the limit (default 200k)', () => {
    const many = file('many.txt', 'ab\n'.repeat(200_001));
    expect(codeOf(() => loadTermsFile(many))).toBe('FILTER_TERMS_TOO_MANY');
    expect(loadTermsFile(file('enough.txt', 'ab\n'.repeat(3)), { maxTerms: 3 })).toHaveLength(3);
  });

  it('refuses an over-long term and names its line', () => {
    const path = file('long.txt', `ok\n${'x'.repeat(201)}\n`);
    let err: ModerationError | undefined;
    try {
      loadTermsFile(path);
    } catch (e) {
      err = e as ModerationError;
    }
    expect(err?.code).toBe('FILTER_TERM_TOO_LONG');
    expect(err?.message).toContain(':2:');
  });

  it('refuses a file that is not UTF-8', () => {
    expect(codeOf(() => loadTermsFile(file('latin1.txt', Buffer.from([0x66, 0x6f, 0xe9, 0x0a]))))).toBe(
      'FILTER_TERMS_NOT_UTF8',
    );
  });

  it('reports a missing file or a directory as unreadable', () => {
    expect(codeOf(() => loadTermsFile(join(dir, 'nope.txt')))).toBe('FILTER_TERMS_UNREADABLE');
    expect(codeOf(() => loadTermsFile(dir))).toBe('FILTER_TERMS_UNREADABLE');
  });
});

describe('term syntax', () => {
  it.each([
    ['idiot', { text: 'idiot', severity: 'mask', wordStart: true, wordEnd: true }],
    ['scam*', { text: 'scam', severity: 'mask', wordStart: true, wordEnd: false }],
    ['*hole', { text: 'hole', severity: 'mask', wordStart: false, wordEnd: true }],
    ['*fuck*', { text: 'fuck', severity: 'mask', wordStart: false, wordEnd: false }],
    ['!kys', { text: 'kys', severity: 'reject', wordStart: true, wordEnd: true }],
    ['!*x*', { text: 'x', severity: 'reject', wordStart: false, wordEnd: false }],
  ])('parses %j', (line, spec) => {
    expect(parseTermSpec(line)).toEqual(spec);
  });

  it('merges terms that normalize alike, keeping the stricter severity', () => {
    const c = compileTerms(['hello', 'HELLO', 'h3ll0', '!he11o', 'helo', '# comment', '', '...']);
    expect(c.specs.map((s) => s.text)).toEqual(['hello', 'helo']);
    expect(Array.from(c.rejects)).toEqual([1, 0]);
    expect(c.ignored).toBe(1);
  });
});
