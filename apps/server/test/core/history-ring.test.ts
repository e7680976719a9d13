/**
 * HistoryRing (core/history-ring.ts): the last N lines of a room as columns of one slab's
 * ranges, read back by seq as views of the bytes pushed.
 */
import { describe, expect, it } from 'vitest';
import { HistoryRing } from '../../src/core/history-ring.js';

/** Pushes lines `from..to` ("line <seq>") into `ring`, each a range of one shared slab, as a room's slab holds them. */
function pushLines(ring: HistoryRing, from: number, to: number): void {
  const slab = Buffer.alloc((to - from + 1) * 16);
  let at = 0;
  for (let seq = from; seq <= to; seq++) {
    const end = at + slab.write(`line ${seq}`, at);
    ring.push(seq, slab, at, end);
    at = end + 3; // a gap: a range, not the rest of the slab
  }
}

const text = (lines: Buffer[]): string[] => lines.map((line) => line.toString());
const lines = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe('HistoryRing', () => {
  it('reads the lines pushed, by seq, before it is full', () => {
    const ring = new HistoryRing(8);
    pushLines(ring, 1, 5);
    expect(ring.size).toBe(5);
    expect(ring.newestSeq).toBe(5);
    expect(text(ring.latest(3))).toEqual(lines(3, 5));
    expect(text(ring.since(1, 10))).toEqual(lines(2, 5));
    expect(text(ring.since(1, 2))).toEqual(lines(2, 3));
    expect(text(ring.before(3, 10))).toEqual(lines(1, 2));
    expect(ring.since(5, 10)).toEqual([]);
    expect(ring.before(1, 10)).toEqual([]);
  });

  it('grows past its first columns and keeps the newest N once it wraps', () => {
    const ring = new HistoryRing(40);
    pushLines(ring, 1, 30); // past the first 16 columns, not yet full
    expect(text(ring.latest(30))).toEqual(lines(1, 30));
    pushLines(ring, 31, 100);
    expect(ring.size).toBe(40);
    expect(text(ring.latest(40))).toEqual(lines(61, 100));
    expect(text(ring.latest(100))).toEqual(lines(61, 100));
    expect(text(ring.since(0, 5))).toEqual(lines(61, 65));
    expect(text(ring.since(99, 10))).toEqual(lines(100, 100));
    expect(text(ring.before(70, 3))).toEqual(lines(67, 69));
    expect(text(ring.before(1_000, 2))).toEqual(lines(99, 100));
  });

  it('replaces a retained line with a line of its own, and refuses one it no longer holds', () => {
    const ring = new HistoryRing(10);
    pushLines(ring, 1, 25);
    expect(ring.replace(20, Buffer.from('tombstone'))).toBe(true);
    expect(text(ring.since(18, 3))).toEqual(['line 19', 'tombstone', 'line 21']);
    expect(ring.replace(15, Buffer.from('x'))).toBe(false); // evicted
    expect(ring.replace(26, Buffer.from('x'))).toBe(false); // not yet sent
    expect(text(ring.latest(10))).toEqual([...lines(16, 19), 'tombstone', ...lines(21, 25)]);
  });

  it('lets go of a slab once its last line is evicted, and of a replaced line with it', () => {
    const ring = new HistoryRing(10);
    pushLines(ring, 1, 4); // slab 1: lines 1-4
    pushLines(ring, 5, 8); // slab 2
    pushLines(ring, 9, 12); // slab 3: lines 1 and 2 are gone, slab 1 still holds 3 and 4
    expect(ring.retainedBuffers).toBe(3);
    expect(ring.replace(6, Buffer.from('tombstone'))).toBe(true);
    expect(ring.retainedBuffers).toBe(4);
    pushLines(ring, 13, 14); // slab 4; lines 3 and 4 go, and slab 1 with them
    expect(ring.retainedBuffers).toBe(4);
    expect(text(ring.since(4, 3))).toEqual(['line 5', 'tombstone', 'line 7']);
    pushLines(ring, 15, 18); // slab 5; lines 5-8 go, slab 2 and the tombstone with them
    expect(ring.retainedBuffers).toBe(3);
    expect(text(ring.latest(10))).toEqual(lines(9, 18));
    // A line in a Buffer of its own (too large for a slab) between lines of one slab.
    const slab = Buffer.from('line 19line 21');
    ring.push(19, slab, 0, 7);
    ring.push(20, Buffer.from('line 20'), 0, 7);
    ring.push(21, slab, 7, 14);
    expect(text(ring.latest(3))).toEqual(lines(19, 21));
  });

  it('reads right through many slabs let go of (every line in a Buffer of its own)', () => {
    const ring = new HistoryRing(5);
    for (let seq = 1; seq <= 200; seq++) {
      const line = Buffer.from(`line ${seq}`);
      ring.push(seq, line, 0, line.length);
      expect(ring.retainedBuffers).toBe(Math.min(seq, 5));
    }
    expect(text(ring.latest(5))).toEqual(lines(196, 200));
    expect(text(ring.since(197, 2))).toEqual(lines(198, 199));
  });

  it('keeps no line at capacity 0, but still the newest seq', () => {
    const ring = new HistoryRing(0);
    pushLines(ring, 1, 3);
    expect(ring.size).toBe(0);
    expect(ring.newestSeq).toBe(3);
    expect(ring.latest(5)).toEqual([]);
    expect(ring.since(0, 5)).toEqual([]);
    expect(ring.replace(3, Buffer.from('x'))).toBe(false);
  });
});
