import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ChatState } from '../../src/bus/chat-state.js';
import { MemoryReadMarkers, type ReadMarkerStore } from '../../src/history/read-markers.js';
import { MemoryStore } from '../../src/history/memory-store.js';
import { SqliteReadMarkers } from '../../src/history/sqlite-read-markers.js';

describe('MemoryReadMarkers', () => {
  it('keeps one marker per nick (ignoring case) and room, the last write winning', () => {
    const markers = new MemoryReadMarkers();
    markers.set('general', 'Ann', 5);
    markers.set('general', 'ann', 3);
    markers.set('other', 'ann', 9);
    expect(markers.get('general', 'ANN')).toBe(3);
    expect(markers.get('other', 'ann')).toBe(9);
    expect(markers.get('general', 'bob')).toBeUndefined();
  });

  it('holds at most its cap over all rooms, forgetting from the least recently written room first', () => {
    const markers = new MemoryReadMarkers(10, 4);
    markers.set('old', 'a', 1);
    markers.set('old', 'b', 1);
    markers.set('mid', 'a', 1);
    markers.set('new', 'a', 1);
    markers.set('old', 'c', 2); // one too many: `mid` is the least recently written room
    expect(markers.get('mid', 'a')).toBeUndefined();
    expect(markers.size).toBe(4);
    markers.set('new', 'b', 1); // now `old` is: its stalest marker goes
    expect([markers.get('old', 'a'), markers.get('old', 'b'), markers.get('old', 'c')]).toEqual([undefined, 1, 2]);
    expect(markers.size).toBe(4);
    markers.dropRoom('new');
    expect(markers.size).toBe(2);
  });

  it('holds at most its cap per room, forgetting the least recently written', () => {
    const markers = new MemoryReadMarkers(3);
    for (const nick of ['a', 'b', 'c']) markers.set('r', nick, 1);
    markers.set('r', 'a', 2); // written again: now the freshest
    markers.set('r', 'd', 1);
    expect(['a', 'b', 'c', 'd'].map((nick) => markers.get('r', nick))).toEqual([2, undefined, 1, 1]);
  });
});

describe('ChatState read markers', () => {
  const limits = { historySize: 10, maxRooms: 1, emptyRoomTtlMs: 1000, presenceMaxMembers: 500 };

  it('stores markers through the store it is given, only for rooms it has', () => {
    const calls: string[] = [];
    const store: ReadMarkerStore = {
      get: (room, nick) => (calls.push(`get ${room} ${nick}`), 7),
      set: (room, nick, seq) => void calls.push(`set ${room} ${nick} ${seq}`),
      dropRoom: (room) => void calls.push(`drop ${room}`),
    };
    const state = new ChatState(limits, () => {}, new MemoryStore(10), store);
    expect(state.markRead('nowhere', 'ann', 1)).toBe(false);
    state.join('general', 'ann', 'p');
    expect(state.markRead('general', 'ann', 4)).toBe(true);
    expect(state.readMarker('general', 'ann')).toBe(7);
    expect(calls).toEqual(['set general ann 4', 'get general ann']);
  });

  it('forgets a room’s markers with the room (its seq starts over), on expiry and on eviction', () => {
    const state = new ChatState(limits, () => {}, new MemoryStore(10));
    state.join('old', 'ann', 'p');
    state.markRead('old', 'ann', 3);
    state.leave('old', 'ann');
    state.sweep(Date.now() + limits.emptyRoomTtlMs);
    expect(state.hasRoom('old')).toBe(false);
    expect(state.readMarker('old', 'ann')).toBeUndefined();

    state.join('a', 'ann', 'p');
    state.markRead('a', 'ann', 1);
    state.leave('a', 'ann');
    state.join('b', 'ann', 'p'); // maxRooms 1: the empty room makes way
    expect(state.readMarker('a', 'ann')).toBeUndefined();
  });

  it('keeps a room’s markers when it leaves memory but its store is durable (the seq goes on)', () => {
    const store = new MemoryStore(10);
    Object.defineProperty(store, 'durable', { value: true }); // as SqliteStore: only what #forget asks
    const state = new ChatState(limits, () => {}, store);
    state.join('kept', 'ann', 'p');
    state.markRead('kept', 'ann', 3);
    state.leave('kept', 'ann');
    state.sweep(Date.now() + limits.emptyRoomTtlMs);
    expect(state.hasRoom('kept')).toBe(false);
    expect(state.readMarker('kept', 'ann')).toBe(3);
  });
});

describe('SqliteReadMarkers', () => {
  it('answers from memory at once and writes to the file on flush, one row per room and nick', () => {
    const db = new Database(':memory:');
    const markers = new SqliteReadMarkers(db);
    markers.set('general', 'Ann', 5);
    markers.set('general', 'ann', 6);
    expect(markers.get('general', 'ANN')).toBe(6);
    expect(markers.dirty).toBe(true);
    expect(db.prepare('SELECT count(*) FROM read_markers').pluck().get()).toBe(0);
    markers.flush();
    expect(markers.dirty).toBe(false);
    expect(db.prepare('SELECT room, nick, seq FROM read_markers').all()).toEqual([{ room: 'general', nick: 'ann', seq: 6 }]);
    // Another instance on the same file (a restart) reads it back.
    expect(new SqliteReadMarkers(db).get('general', 'Ann')).toBe(6);
  });

  it('keeps at most its cap per room in the file, dropping the least recently written', () => {
    const db = new Database(':memory:');
    const markers = new SqliteReadMarkers(db, 3);
    markers.set('r', 'a', 1);
    markers.set('r', 'b', 1);
    markers.flush(1000);
    markers.set('r', 'c', 1);
    markers.set('r', 'a', 2); // written again: now among the freshest
    markers.flush(2000);
    markers.set('r', 'd', 1);
    markers.flush(3000);
    const rows = db.prepare('SELECT nick FROM read_markers WHERE room = ? ORDER BY nick').pluck().all('r');
    expect(rows).toEqual(['a', 'c', 'd']);
    markers.dropRoom('r');
    expect(db.prepare('SELECT count(*) FROM read_markers').pluck().get()).toBe(0);
  });
});
