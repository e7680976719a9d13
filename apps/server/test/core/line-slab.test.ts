import { describe, expect, it } from 'vitest';
import { LineSlab } from '../../src/core/line-slab.js';

describe('LineSlab', () => {
  it('hands out consecutive lines from one slab of the room', () => {
    const slab = new LineSlab();
    const a = slab.allocate(100);
    const b = slab.allocate(200);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 100);
    a.fill(1);
    b.fill(2);
    expect(a.every((x) => x === 1)).toBe(true);
  });

  it('starts a new, larger slab when one is full, and gives a large line its own memory', () => {
    const slab = new LineSlab();
    const first = slab.allocate(400);
    const second = slab.allocate(400);
    const third = slab.allocate(400); // 1,200 > the first 1 KiB slab
    expect(second.buffer).toBe(first.buffer);
    expect(third.buffer).not.toBe(first.buffer);
    expect(third.buffer.byteLength).toBe(2048);
    const big = slab.allocate(5000);
    expect(big.buffer.byteLength).toBe(5000);
    expect(slab.allocate(10).buffer).toBe(third.buffer);
  });
});
