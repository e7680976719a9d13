/**
 * The cluster primary finds a Pub's room by its name's bytes (room-name-index.ts). A lookup
 * must never name the wrong room: same hash, other bytes is "not indexed", and a room whose
 * hash collides with another's is still published to (ChatState falls back to its name).
 */
import { encodeMsgBody } from '@loopchat/protocol';
import { describe, expect, it } from 'vitest';
import { ChatState, type BusEvent, type StoredMessage } from '../../src/bus/chat-state.js';
import { RoomNameIndex, nameHash } from '../../src/bus/room-name-index.js';
import { MemoryStore } from '../../src/history/memory-store.js';

/** Two room names with the same hash, found by search (a 30-bit hash collides within ~2^15 names). */
function collidingNames(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `room-${i}`;
    const bytes = Buffer.from(name, 'latin1');
    const hash = nameHash(bytes, 0, bytes.length);
    const other = seen.get(hash);
    if (other !== undefined) return [other, name];
    seen.set(hash, name);
  }
}

/** `name` inside a larger buffer, as a record holds it. */
function inRecord(name: string): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.from(`xx${name}yy`, 'latin1');
  return { buf, start: 2, end: 2 + name.length };
}

describe('RoomNameIndex', () => {
  it('finds a room by the bytes of its name where they lie, and nothing for other bytes', () => {
    const index = new RoomNameIndex<{ name: string }>();
    const lobby = { name: 'lobby' };
    const lob = { name: 'lob' };
    index.add(lobby);
    index.add(lob);
    const at = inRecord('lobby');
    expect(index.find(at.buf, at.start, at.end)).toBe(lobby);
    expect(index.find(at.buf, at.start, at.start + 3)).toBe(lob);
    const other = inRecord('Lobby'); // names are case-sensitive bytes
    expect(index.find(other.buf, other.start, other.end)).toBeUndefined();
    index.delete(lobby);
    expect(index.find(at.buf, at.start, at.end)).toBeUndefined();
    expect(index.find(at.buf, at.start, at.start + 3)).toBe(lob);
  });

  it('indexes the first of two names with one hash and never answers the second with it', () => {
    const [first, second] = collidingNames();
    const index = new RoomNameIndex<{ name: string }>();
    const a = { name: first };
    const b = { name: second };
    index.add(a);
    index.add(b);
    const atA = inRecord(first);
    const atB = inRecord(second);
    expect(index.find(atA.buf, atA.start, atA.end)).toBe(a);
    expect(index.find(atB.buf, atB.start, atB.end)).toBeUndefined();
    // Deleting the second (not indexed) leaves the first in place.
    index.delete(b);
    expect(index.find(atA.buf, atA.start, atA.end)).toBe(a);
  });
});

describe('ChatState.publishNamed', () => {
  it('sequences into the room the bytes name, colliding names included', () => {
    const [first, second] = collidingNames();
    const routed: StoredMessage[] = [];
    const route = (_owner: string, event: BusEvent): void => {
      if (event.t === 'msg') routed.push(event.msg);
    };
    const state = new ChatState(
      { maxRooms: 10, emptyRoomTtlMs: 60_000, presenceMaxMembers: 100 },
      route,
      new MemoryStore(10),
    );
    for (const room of [first, second, 'lobby']) {
      expect(state.claimNick(`n-${room}`, 'w1')).toBe(true);
      expect(state.join(room, `n-${room}`, 'w1')).toBe(0);
    }
    for (const room of [second, first, second, 'lobby']) {
      const at = inRecord(room);
      const msg = state.publishNamed(at.buf, at.start, at.end, '', encodeMsgBody(room, `n-${room}`, 'hi'));
      expect(typeof msg).toBe('object');
    }
    expect(routed.map((m) => [m.room, m.seq])).toEqual([
      [second, 1],
      [first, 1],
      [second, 2],
      ['lobby', 1],
    ]);
    const missing = inRecord('nowhere');
    expect(state.publishNamed(missing.buf, missing.start, missing.end, '', encodeMsgBody('nowhere', 'x', 'hi'))).toBe(
      'no_room',
    );
  });
});
