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

  it('starts a new, larger slab when one is full, and gives a large line memory of its own', () => {
    const slab = new LineSlab();
    const first = slab.reserve(400);
    const second = slab.reserve(400);
    const third = slab.reserve(400); // 1,200 > the first 1 KiB slab
    expect(second.buf).toBe(first.buf);
    expect(third.buf).not.toBe(first.buf);
    expect(third.buf.length).toBe(2048);
    const big = slab.reserve(5000);
    expect(big.buf.length).toBe(5000);
    expect(slab.reserve(10).buf).toBe(third.buf);
  });
});
