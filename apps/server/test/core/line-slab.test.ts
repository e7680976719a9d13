import { describe, expect, it } from 'vitest';
import { LineSlab, lineBytes } from '../../src/core/line-slab.js';

describe('LineSlab', () => {
  it('hands out consecutive ranges of one slab of the room', () => {
    const slab = new LineSlab();
    const a = slab.reserve(100);
    const b = slab.reserve(200);
    expect(a.buf).toBe(b.buf);
    expect([a.start, a.end, b.start, b.end]).toEqual([0, 100, 100, 300]);
    a.buf.fill(1, a.start, a.end);
    b.buf.fill(2, b.start, b.end);
    expect(lineBytes(a).every((x) => x === 1)).toBe(true);
    expect(lineBytes(b).length).toBe(200);
  });

  it('starts a new, larger slab when one is full', () => {
    const slab = new LineSlab();
    const first = slab.reserve(400);
    const second = slab.reserve(400);
    const third = slab.reserve(400); // 1,200 > the first 1 KiB slab
    expect(second.buf).toBe(first.buf);
    expect(third.buf).not.toBe(first.buf);
    expect(third.buf.length).toBe(2048);
  });

  it('gives a room of large lines slabs that hold several of them', () => {
    const slab = new LineSlab();
    const lines = [slab.reserve(1500), slab.reserve(1500)];
    expect(lines[0]!.buf.length).toBe(4096);
    expect(lines[1]!.buf).toBe(lines[0]!.buf);
    expect(lines[1]!.start).toBe(1500);
  });

  it('grows the slabs of a room of short lines to 16 KiB, and of long lines to about 32 lines', () => {
    const largestSlab = (lineBytes: number): number => {
      const slab = new LineSlab();
      let largest = 0;
      for (let i = 0; i < 2000; i++) largest = Math.max(largest, slab.reserve(lineBytes).buf.length);
      return largest;
    };
    expect(largestSlab(200)).toBe(16 * 1024);
    expect(largestSlab(1500)).toBe(32 * 1500);
    expect(largestSlab(4000)).toBe(64 * 1024);
  });

  it('gives a line larger than half the largest slab memory of its own', () => {
    const slab = new LineSlab();
    const small = slab.reserve(10);
    const huge = slab.reserve(40_000);
    expect(huge.buf.length).toBe(40_000);
    expect(slab.reserve(10).buf).toBe(small.buf);
  });
});
