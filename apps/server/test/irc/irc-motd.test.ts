import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MOTD_MAX_LINE_BYTES, MOTD_MAX_LINES, loadMotd } from '../../src/irc/irc-motd.js';

const dir = mkdtempSync(join(tmpdir(), 'loopchat-motd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `motd-${n++}.txt`);
  writeFileSync(path, content);
  return path;
}

describe('loadMotd', () => {
  it('reads the lines as written: CRLF or LF, blank lines inside kept, trailing ones dropped, a BOM ignored', () => {
    expect(loadMotd(file('\uFEFFWelcome to loopchat!\r\n\r\n  Be kind. ☺\n\n\n'))).toEqual([
      'Welcome to loopchat!',
      '',
      '  Be kind. ☺',
    ]);
    expect(loadMotd(file(''))).toEqual([]);
  });

  it('takes a line of the largest size and refuses one byte more, naming the line', () => {
    const longest = 'é'.repeat(MOTD_MAX_LINE_BYTES / 2);
    expect(loadMotd(file(`first\n${longest}\n`))).toEqual(['first', longest]);
    const path = file(`first\n${longest}x\n`);
    expect(() => loadMotd(path)).toThrow(`MOTD: line 2 of ${path} is ${MOTD_MAX_LINE_BYTES + 1} bytes`);
  });

  it('refuses too many lines, text that is not UTF-8, a CR or NUL inside a line, and a file it cannot read', () => {
    expect(() => loadMotd(file('x\n'.repeat(MOTD_MAX_LINES + 1)))).toThrow(`at most ${MOTD_MAX_LINES}`);
    expect(() => loadMotd(file(Buffer.from([0x68, 0x69, 0xff, 0x0a])))).toThrow('is not UTF-8 text');
    expect(() => loadMotd(file('one\rtwo\n'))).toThrow('line 1 of');
    expect(() => loadMotd(file('ok\nnul\0here\n'))).toThrow('line 2 of');
    expect(() => loadMotd(join(dir, 'absent.txt'))).toThrow(/MOTD: cannot read .*absent\.txt: ENOENT/);
    expect(() => loadMotd(dir)).toThrow(`MOTD: ${dir} is not a file`);
    expect(() => loadMotd(file('x'.repeat(MOTD_MAX_LINES * (MOTD_MAX_LINE_BYTES + 2) + 1)))).toThrow(
      'bytes; a message of the day is at most',
    );
  });
});
