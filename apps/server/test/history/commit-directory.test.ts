/** The directory at the head of a commit record (history/commit-directory.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directoryBytes, readDirectory, writeDirectory, type DirectorySource } from '../../src/history/commit-directory.js';

const entry = fc.record({
  room: fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  ),
  firstSeq: fc.maxSafeNat(),
  count: fc.integer({ min: 1, max: 256 }),
  firstTs: fc.maxSafeNat(),
  lastTs: fc.maxSafeNat(),
  size: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

interface Entry {
  room: string;
  firstSeq: number;
  count: number;
  firstTs: number;
  lastTs: number;
  size: number;
}

const asSegment = (e: Entry): unknown[] => [e.room, e.firstSeq, e.count, e.firstTs, e.lastTs, e.size];

/** Entries as a turn's runs give them: by index. */
function runs(entries: readonly Entry[]): DirectorySource {
  return {
    length: entries.length,
    room: (i) => entries[i]!.room,
    firstSeq: (i) => entries[i]!.firstSeq,
    count: (i) => entries[i]!.count,
    firstTs: (i) => entries[i]!.firstTs,
    lastTs: (i) => entries[i]!.lastTs,
    size: (i) => entries[i]!.size,
  };
}

describe('commit directory', () => {
  it('reads back what it wrote, exactly its size, at any offset, for any names (ASCII or not)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), fc.nat(16), (entries, offset) => {
        const bytes = directoryBytes(runs(entries));
        const out = Buffer.alloc(offset + bytes + 3, 0xee);
        expect(writeDirectory(runs(entries), out, offset)).toBe(offset + bytes);
        expect(out.subarray(offset + bytes).equals(Buffer.alloc(3, 0xee))).toBe(true);
        expect(readDirectory(out, offset, offset + bytes)).toEqual(entries.map(asSegment));
      }),
    );
  });

  it('reads the JSON directories of records written before the binary form', () => {
    const json = Buffer.from(
      JSON.stringify([
        ['general', 7, 2, 1000, 1001, 240],
        ['b', 1, 1, 1002, 1002, 80],
      ]),
    );
    expect(readDirectory(json, 0, json.length)).toEqual([
      ['general', 7, 2, 1000, 1001, 240],
      ['b', 1, 1, 1002, 1002, 80],
    ]);
  });

  it('refuses a room name too long for its length byte, and a directory of no known form', () => {
    const long: Entry = { room: 'é'.repeat(128), firstSeq: 1, count: 1, firstTs: 0, lastTs: 0, size: 10 };
    expect(() => directoryBytes(runs([long]))).toThrow(/256 bytes/);
    expect(() => readDirectory(Buffer.from([9, 0]), 0, 2)).toThrow(/unknown commit directory format 9/);
  });
});
