import { describe, expect, it } from 'vitest';
import { Room } from '../../src/core/room.js';
import { RoomSet } from '../../src/core/room-set.js';

const [a, b, c] = [new Room('a'), new Room('b'), new Room('c')];
const names = (set: RoomSet) => [...set].map((room) => room.name);

describe('RoomSet', () => {
  it('keeps rooms once each, in join order, through none, one and many', () => {
    const set = new RoomSet();
    expect(set.size).toBe(0);
    expect(names(set)).toEqual([]);
    set.add(a).add(a);
    expect(set.size).toBe(1);
    expect(set.has(a)).toBe(true);
    set.add(b).add(c).add(b);
    expect(names(set)).toEqual(['a', 'b', 'c']);
    expect(set.size).toBe(3);
  });

  it('deletes from any position and says whether the room was there', () => {
    const set = new RoomSet().add(a).add(b).add(c);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect(names(set)).toEqual(['a', 'c']);
    expect(set.delete(a)).toBe(true);
    expect(names(set)).toEqual(['c']);
    expect(set.has(a)).toBe(false);
    expect(set.delete(c)).toBe(true);
    expect(set.size).toBe(0);
    expect(set.delete(c)).toBe(false);
  });

  it('lets rooms be left while iterating (the hub does on close)', () => {
    const set = new RoomSet().add(a).add(b).add(c);
    const seen: string[] = [];
    for (const room of set) {
      seen.push(room.name);
      set.delete(room);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(set.size).toBe(0);
  });

  it('answers the rest of ReadonlySet as a Set would', () => {
    const set = new RoomSet().add(a).add(b);
    const real = new Set([a, b]);
    expect([...set.keys()]).toEqual([...real.keys()]);
    expect([...set.entries()]).toEqual([...real.entries()]);
    const visited: string[] = [];
    set.forEach((room, key, owner) => visited.push(`${room.name}=${key.name}:${owner === set}`));
    expect(visited).toEqual(['a=a:true', 'b=b:true']);
  });
});
