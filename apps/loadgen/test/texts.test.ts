/** `--texts <file>`: what is accepted and the clear error for each bad file. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadgenError } from '../src/errors.js';
import { MAX_TEXTS_BYTES, MAX_TEXTS_LINES, readTexts } from '../src/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'lg-texts-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function failure(path: string): { code: string; message: string } {
  try {
    readTexts(path);
  } catch (err) {
    return { code: (err as LoadgenError).code, message: (err as Error).message };
  }
  throw new Error(`readTexts(${path}) did not fail`);
}

describe('readTexts', () => {
  it('reads UTF-8 lines, skips empty ones, takes CRLF and a missing final newline', () => {
    const path = file('ok.txt', '\uFEFFhello\r\n\n  spaced  \nnaïve ✓ 日本\n\r\nlast');
    expect(readTexts(path)).toEqual(['hello', '  spaced  ', 'naïve ✓ 日本', 'last']);
  });

  it('accepts exactly the line limit', () => {
    expect(readTexts(file('max-lines.txt', 'a\n'.repeat(MAX_TEXTS_LINES)))).toHaveLength(MAX_TEXTS_LINES);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.txt'), /cannot read.*ENOENT/],
    ['a directory', () => dir, /not a file/],
    ['an empty file', () => file('empty.txt', ''), /no non-empty line/],
    ['only empty lines', () => file('blank.txt', '\n\r\n\n'), /no non-empty line/],
    ['invalid UTF-8', () => file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])), /not valid UTF-8/],
    ['too many lines', () => file('many.txt', 'a\n'.repeat(MAX_TEXTS_LINES + 1)), /1000001 lines, over the limit/],
    [
      'a file over 16 MiB',
      () => {
        const path = file('big.txt', '');
        truncateSync(path, MAX_TEXTS_BYTES + 1);
        return path;
      },
      /over the limit of 16777216 \(16 MiB\)/,
    ],
  ])('rejects %s with LG_INVALID_OPTION', (_label, make, message) => {
    const f = failure(make());
    expect(f.code).toBe('LG_INVALID_OPTION');
    expect(f.message).toMatch(/^--texts: /);
    expect(f.message).toMatch(message);
  });
});
