/** The commit log's files on a real directory: records, rotation, deletion once folded, torn tails. */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFiles, RECORD_HEADER, readLogFiles } from '../../src/history/log-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopchat-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(text: string): Buffer {
  const payload = Buffer.from(text);
  const buf = LogFiles.allocate(payload.length);
  payload.copy(buf, RECORD_HEADER);
  return buf;
}

const payloads = (): string[] => readLogFiles(dir).payloads.map((p) => p.toString());
const readFileSize = (path: string): number => statSync(path).size;

describe('LogFiles', () => {
  it('appends records that read back in order, and numbers commits from 1', () => {
    const log = new LogFiles(dir, { sync: false, beforeDelete: () => {} });
    expect([log.append(record('one')), log.append(record('two')), log.append(record('three'))]).toEqual([1, 2, 3]);
    expect(payloads()).toEqual(['one', 'two', 'three']);
    log.close(false);
    expect(payloads()).toEqual(['one', 'two', 'three']);
  });

  it('reads a record back from its file, the one being written or an older one', () => {
    const log = new LogFiles(dir, { sync: false, fileBytes: 30, beforeDelete: () => {} });
    const at: number[] = [];
    const ids = ['a'.repeat(30), 'bb', 'c'.repeat(40)].map((t) => {
      const id = log.append(record(t));
      at.push(log.lastAt);
      return id;
    });
    expect(readdirSync(dir).sort()).toEqual(['1.log', '2.log']); // 'bb' went after the 30 a's
    expect(at).toEqual([0, 0, RECORD_HEADER + 2]);
    expect(log.read(ids[0]!, RECORD_HEADER + 10, 5).toString()).toBe('aaaaa');
    expect(log.read(ids[1]!, RECORD_HEADER, 2).toString()).toBe('bb');
    expect(log.read(ids[2]!, at[2]! + RECORD_HEADER, 40).toString()).toBe('c'.repeat(40));
    expect(() => log.read(ids[2]!, at[2]! + RECORD_HEADER, 41)).toThrow(/ends before/);
    log.close(false);
  });

  it('starts a new file past its size and deletes an old one once all its commits are released, durability first', () => {
    const events: string[] = [];
    const log = new LogFiles(dir, { sync: true, fileBytes: 30, beforeDelete: () => events.push(`sync ${files().length}`) });
    const files = (): string[] => readdirSync(dir).sort();
    const ids = ['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(30)].map((t) => log.append(record(t)));
    expect(files()).toEqual(['1.log', '2.log', '3.log']);
    log.release([ids[1]!]);
    expect(files()).toEqual(['1.log', '3.log']);
    expect(events).toEqual(['sync 3']); // the database was made durable before the file went
    log.release([ids[0]!, ids[2]!]); // the current file stays until the next append or close
    expect(files()).toEqual(['3.log']);
    log.close(true);
    expect(files()).toEqual([]);
  });

  it('numbers new files after those a previous run left, which it reads back', () => {
    const first = new LogFiles(dir, { sync: false, beforeDelete: () => {} });
    first.append(record('left'));
    first.close(false);
    const second = new LogFiles(`${dir}/`, { sync: false, beforeDelete: () => {} }); // however the dir is spelled
    second.append(record('new'));
    expect(readdirSync(dir).sort()).toEqual(['1.log', '2.log']);
    expect(payloads()).toEqual(['left', 'new']);
    second.close(false);
  });

  it('stops reading a file at a torn record: cut short, a wrong CRC, or zeros', () => {
    const log = new LogFiles(dir, { sync: false, beforeDelete: () => {} });
    log.append(record('kept'));
    log.close(false);
    const path = join(dir, '1.log');
    appendFileSync(path, record('x').subarray(0, 6)); // a header cut short
    expect(payloads()).toEqual(['kept']);
    rmSync(path);
    const again = new LogFiles(dir, { sync: false, beforeDelete: () => {} });
    again.append(record('kept'));
    again.close(false);
    const bad = record('flipped');
    bad.writeUInt32LE(bad.length - RECORD_HEADER, 0);
    bad.writeUInt32LE(12345, 4);
    appendFileSync(join(dir, '1.log'), Buffer.concat([bad, Buffer.alloc(32)]));
    expect(payloads()).toEqual(['kept']);
    expect(existsSync(join(dir, '1.log'))).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)(
    'cuts a record the disk could not take back, so the next one follows the last whole one',
    () => {
      const disk = join(dir, 'disk');
      mkdirSync(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]);
      try {
        const log = new LogFiles(join(disk, 'log'), { sync: false, beforeDelete: () => {} });
        log.append(record('before'));
        // Fill the disk, then free 8 KiB: a 64 KiB record is written in part, then refused.
        const filler = join(disk, 'filler');
        writeFileSync(filler, '');
        for (;;) {
          try {
            appendFileSync(filler, Buffer.alloc(4096, 1));
          } catch {
            break;
          }
        }
        truncateSync(filler, Math.max(0, readFileSize(filler) - 8192));
        expect(() => log.append(record('x'.repeat(64 * 1024)))).toThrow(/ENOSPC/);
        rmSync(filler);
        log.append(record('after'));
        log.close(false);
        expect(readLogFiles(join(disk, 'log')).payloads.map((p) => p.toString())).toEqual(['before', 'after']);
      } finally {
        execFileSync('umount', ['-l', disk]);
      }
    },
  );

  it('reads nothing from a directory that does not exist', () => {
    expect(readLogFiles(join(dir, 'none'))).toEqual({ payloads: [], paths: [] });
  });
});
